"""Banner parsers on real-shaped bytes."""

import json
import struct

import pytest

from rempart.engine.net.banners import (
    BannerError,
    HttpReply,
    parse_couchdb,
    parse_elasticsearch,
    parse_ftp_greeting,
    parse_http_reply,
    parse_memcached_version,
    parse_mysql_handshake,
    parse_rdp_confirm,
    parse_redis_reply,
    parse_rfb,
    parse_telnet,
    rdp_connection_request,
)


@pytest.mark.parametrize(
    ("line", "product", "version"),
    [
        ("220 (vsFTPd 3.0.5)\r\n", "vsFTPd", "3.0.5"),
        ("220 ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.1]", "ProFTPD", "1.3.5e"),
        ("220-FileZilla Server 0.9.60 beta", "FileZilla Server", "0.9.60"),
        ("220 FileZilla Server version 0.9.41 beta", "FileZilla Server", "0.9.41"),
        ("220---------- Welcome to Pure-FTPd [privsep] [TLS] ----------", "Pure-FTPd", None),
        ("220 Microsoft FTP Service", "Microsoft FTP Service", None),
        ("220 FTP server ready", "", None),
    ],
)
def test_ftp_greetings(line: str, product: str, version: str | None) -> None:
    banner = parse_ftp_greeting(line)
    assert (banner.product, banner.version) == (product, version)
    assert banner.discloses_version is bool(version)


def test_ftp_greeting_that_is_not_220() -> None:
    with pytest.raises(BannerError, match="not an FTP greeting"):
        parse_ftp_greeting("421 Too many connections")
    with pytest.raises(BannerError, match=r"\\x8f"):
        parse_ftp_greeting("\x8f\x13garbage")


def mysql_packet(version: bytes) -> bytes:
    payload = (
        b"\x0a"
        + version
        + b"\x00"
        + struct.pack("<I", 7)
        + b"abcdefgh\x00"
        + b"\xff\xf7\x21\x02\x00\xff\x81\x15"
        + b"\x00" * 10
        + b"ijklmnopqrst\x00"
        + b"mysql_native_password\x00"
    )
    return len(payload).to_bytes(3, "little") + b"\x00" + payload


@pytest.mark.parametrize(
    ("version", "product", "expected"),
    [
        (b"8.0.36", "MySQL", "8.0.36"),
        (b"5.7.44-log", "MySQL", "5.7.44"),
        (b"5.5.5-10.6.12-MariaDB-0ubuntu0.22.04.1", "MariaDB", "10.6.12"),
        (b"mysqld", "MySQL", None),
    ],
)
def test_mysql_handshake(version: bytes, product: str, expected: str | None) -> None:
    banner = parse_mysql_handshake(mysql_packet(version))
    assert (banner.product, banner.version) == (product, expected)
    assert version.decode() in banner.evidence


def test_mysql_error_packet_discloses_nothing() -> None:
    message = b"\xff\x6a\x04Host '10.0.0.9' is not allowed to connect to this MySQL server"
    banner = parse_mysql_handshake(len(message).to_bytes(3, "little") + b"\x00" + message)
    assert banner.version is None
    assert "not allowed" in banner.evidence


def test_mysql_garbage() -> None:
    with pytest.raises(BannerError):
        parse_mysql_handshake(b"\x05\x00\x00\x00\x09hello")


def test_redis_info_and_refusal() -> None:
    info = b"# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n"
    banner = parse_redis_reply(b"$%d\r\n" % len(info) + info)
    assert banner.version == "7.2.4"
    refused = parse_redis_reply(b"-NOAUTH Authentication required.\r\n")
    assert refused.product == "Redis" and refused.version is None
    assert refused.evidence == "-NOAUTH Authentication required."
    with pytest.raises(BannerError):
        parse_redis_reply(b"HTTP/1.1 400\r\n")


def test_memcached_version() -> None:
    assert parse_memcached_version(b"VERSION 1.6.21\r\n").version == "1.6.21"
    assert parse_memcached_version(b"ERROR\r\n").version is None
    with pytest.raises(BannerError):
        parse_memcached_version(b"SSH-2.0-OpenSSH_9.6\r\n")


ES_BODY = json.dumps(
    {
        "name": "node-1",
        "cluster_name": "elasticsearch",
        "version": {"number": "1.4.2", "lucene_version": "4.10.2"},
        "tagline": "You Know, for Search",
    }
).encode()


def test_http_reply_and_elasticsearch_version() -> None:
    raw = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + ES_BODY
    reply = parse_http_reply(raw)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    banner = parse_elasticsearch(reply)
    assert (banner.key, banner.version) == ("elasticsearch", "1.4.2")
    assert "You Know, for Search" in banner.evidence


def test_elasticsearch_behind_authentication() -> None:
    banner = parse_elasticsearch(HttpReply(401, {}, b'{"error":{}}'))
    assert banner.product == "Elasticsearch" and banner.version is None


def test_couchdb_welcome_and_server_header() -> None:
    welcome = HttpReply(200, {}, b'{"couchdb":"Welcome","version":"3.2.1"}')
    assert parse_couchdb(welcome).version == "3.2.1"
    header_only = HttpReply(401, {"server": "CouchDB/3.1.0 (Erlang OTP/22)"}, b"{}")
    assert parse_couchdb(header_only).version == "3.1.0"
    hidden = HttpReply(401, {"server": "CouchDB"}, b'{"error":"unauthorized"}')
    assert parse_couchdb(hidden).version is None


def test_not_http() -> None:
    with pytest.raises(BannerError, match="not an HTTP response"):
        parse_http_reply(b"\x00\x01\x02")


def test_rfb_is_a_protocol_not_a_product_version() -> None:
    banner = parse_rfb(b"RFB 003.008\n")
    assert banner.evidence == "RFB 003.008"
    assert not banner.discloses_version
    with pytest.raises(BannerError):
        parse_rfb(b"SSH-2.0-x\r\n")


def test_telnet_negotiation_is_split_from_text() -> None:
    banner = parse_telnet(
        b"\xff\xfd\x18\xff\xfd\x1f\xff\xfb\x01\xff\xfa\x18\x01\xff\xf0\r\nlogin: "
    )
    assert banner.evidence == "IAC DO TERMINAL-TYPE, DO NAWS, WILL ECHO; 'login:'"
    assert parse_telnet(b"\xff\xfb\x01").evidence == "IAC WILL ECHO"


def test_rdp_request_and_confirm() -> None:
    request = rdp_connection_request()
    assert request[:4] == b"\x03\x00\x00\x13"
    assert request[5] == 0xE0  # X.224 Connection Request
    assert request[11:] == b"\x01\x00\x08\x00\x03\x00\x00\x00"  # RDP_NEG_REQ: TLS | CredSSP
    confirm = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x1f\x08\x00\x02\x00\x00\x00"
    assert "CredSSP" in parse_rdp_confirm(confirm).evidence
    failure = b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x03\x00\x08\x00\x05\x00\x00\x00"
    assert "RDP_NEG_FAILURE code 5" in parse_rdp_confirm(failure).evidence
    with pytest.raises(BannerError):
        parse_rdp_confirm(b"\x03\x00\x00\x0b\x06\xe0\x00\x00\x00\x00\x00")
