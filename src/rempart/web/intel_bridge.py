"""The platform's one ``rempart.intel.Intel``: the package snapshot overlaid by updated feeds.

Loaded once per process and reloaded when ``rempart feeds update`` (or the beat task) has
written a newer manifest into ``FEEDS_DIR``; workers keep the indexes in memory between jobs.
"""

from __future__ import annotations

import threading
from pathlib import Path

from django.conf import settings

from rempart.intel.store import Intel

_lock = threading.Lock()
_cached: tuple[float, Intel] | None = None


def _stamp(feeds_dir: Path) -> float:
    manifest = feeds_dir / "manifest.json"
    try:
        return manifest.stat().st_mtime
    except OSError:
        return 0.0


def intel() -> Intel:
    global _cached
    feeds_dir = Path(settings.FEEDS_DIR)
    stamp = _stamp(feeds_dir)
    with _lock:
        if _cached is None or _cached[0] != stamp:
            _cached = (stamp, Intel.load(feeds_dir if feeds_dir.is_dir() else None))
        return _cached[1]


def forget() -> None:
    """Drop the cached intel (after a feed update in this process, and in tests)."""
    global _cached
    with _lock:
        _cached = None
