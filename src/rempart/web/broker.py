"""The embedded broker: kombu's filesystem transport, with messages that appear whole.

kombu's ``filesystem`` transport creates the message file under its final ``*.msg`` name and
only then writes it; a worker polling at that instant moves the still-empty file away, fails to
decode it and stops with an "Unrecoverable error" (JSONDecodeError), taking the embedded worker
down. Here a message is written under a name the consumer ignores and renamed into place:
rename is atomic within a folder, so a consumer sees the whole message or nothing.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):  # type: ignore[misc]
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"  # as kombu names it
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as sink:
                sink.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):  # type: ignore[misc]
    Channel = Channel
