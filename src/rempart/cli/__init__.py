"""The rempart command line: one module per command."""
