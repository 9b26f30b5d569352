"""The knowledge layer: plain-language guidance (FR/EN) for every check, as versioned data."""
