"""The embedded broker never hands a worker half a message.

kombu's filesystem transport creates a message's file under its final name, then writes it: a
worker polling in between moves the empty file away, cannot decode it and stops ("Unrecoverable
error: JSONDecodeError"; seen taking `rempart serve` down while a report was queued). rempart's
transport writes under a name consumers skip and renames it into place.
"""

from __future__ import annotations

import os

import pytest
from kombu import Connection
from kombu.transport import filesystem

from rempart.web import broker


@pytest.fixture
def channel(tmp_path):
    options = {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
    with Connection(transport="rempart.web.broker:Transport", transport_options=options) as c:
        yield c.default_channel


def test_filesystem_urls_mean_the_whole_message_transport():
    # Set by the settings (loaded for every test): any "filesystem://" connection, the
    # workers' as well as the web's, gets rempart's transport; a redis:// URL still Redis.
    from kombu.transport import resolve_transport

    assert resolve_transport("filesystem") is broker.Transport
    assert resolve_transport("redis").__module__ == "kombu.transport.redis"


def test_a_message_being_written_is_invisible_and_appears_whole(channel, tmp_path, monkeypatch):
    seen_while_writing: list[list[str]] = []
    real_replace = os.replace

    def replace(src, dst):
        # The instant before the message appears: only its hidden partial file exists, and a
        # consumer polling now finds nothing to take.
        seen_while_writing.append(sorted(os.listdir(tmp_path)))
        with pytest.raises(filesystem.Empty):
            channel._get("celery")
        real_replace(src, dst)

    monkeypatch.setattr(broker.os, "replace", replace)
    channel._put("celery", {"task": "rempart.reports.generate", "pad": "x" * 100_000})

    [names] = seen_while_writing
    assert len(names) == 1 and names[0].startswith(".") and names[0].endswith(".part")
    assert channel._get("celery")["pad"] == "x" * 100_000
    assert os.listdir(tmp_path) == []


def test_every_message_is_delivered_once(channel):
    for i in range(50):
        channel._put("celery", {"i": i})
    assert sorted(channel._get("celery")["i"] for _ in range(50)) == list(range(50))
    with pytest.raises(filesystem.Empty):
        channel._get("celery")
