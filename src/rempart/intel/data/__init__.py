"""Feed snapshots shipped with intel (see README.md and manifest.json)."""
