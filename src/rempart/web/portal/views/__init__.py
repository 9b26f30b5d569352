"""The portal's pages, one module per domain (style rule 15)."""
