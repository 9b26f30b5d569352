"""One parser module per report format (see rempart.importers.base for the contract)."""
