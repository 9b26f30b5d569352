"""A tiny authoritative DNS responder on loopback, for proof-of-control tests without the lab.

It answers TXT questions from a dictionary the test fills (as an owner would publish a record)
and NXDOMAIN to everything else, over UDP on 127.0.0.1 and an ephemeral port.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class Responder:
    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.questions: list[str] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._sock.getsockname()
        return f"{host}:{port}"

    def _answer(self, data: bytes) -> bytes:
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.questions.append(f"{name} {dns.rdatatype.to_text(question.rdtype)}")
        values = self.txt.get(name)
        if values and question.rdtype == dns.rdatatype.TXT:
            quoted = [f'"{value}"' for value in values]
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, "TXT", quoted)
            )
        else:
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            self._sock.sendto(self._answer(data), peer)

    @contextmanager
    def running(self) -> Iterator[Responder]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self._sock.close()
