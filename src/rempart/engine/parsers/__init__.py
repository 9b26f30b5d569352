"""Pure parsers: text or bytes in, typed values out (no I/O)."""
