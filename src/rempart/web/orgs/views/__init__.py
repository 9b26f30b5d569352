"""Views of the account pages, one module per area (style rule 8: thin typed function views)."""
