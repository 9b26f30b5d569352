"""Data shipped with the engine (KEV snapshot, software version ranges)."""
