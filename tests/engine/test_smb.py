"""SMB negotiation: request builders and response parsers, on hand-built real-shaped bytes."""

import struct

import pytest

from rempart.engine.net.smb import (
    NT_LM_012,
    SmbError,
    netbios_frame,
    netbios_name,
    netbios_session_request,
    parse_negotiate_response,
    smb1_negotiate,
)

SMB1_HEADER_RESPONSE = struct.pack(
    "<4sBIBHH8sHHHHH", b"\xffSMB", 0x72, 0, 0x98, 0xC853, 0, b"\x00" * 8, 0, 0xFFFF, 0xFEFF, 0, 0
)


def smb1_response(index: int, status: int = 0) -> bytes:
    header = bytearray(SMB1_HEADER_RESPONSE)
    struct.pack_into("<I", header, 5, status)
    words = struct.pack("<HBHHIIIIQhB", index, 3, 50, 1, 16644, 65536, 0, 0xF3FD, 0, 0, 8)
    data = b"\x11" * 8 + "WORKGROUP\x00".encode("utf-16-le")
    return bytes(header) + bytes([17]) + words + struct.pack("<H", len(data)) + data


def smb2_response(dialect: int, command: int = 0, size: int = 65) -> bytes:
    header = struct.pack(
        "<4sHHIHHIIQIIQ16s", b"\xfeSMB", 64, 0, 0, command, 1, 1, 0, 0, 0, 0, 0, b"\x00" * 16
    )
    body = struct.pack(
        "<HHHH16sIIIIQQHHI", size, 1, dialect, 0, b"\x00" * 16, 7, 1, 1, 1, 0, 0, 128, 0, 0
    )
    return header + body


def test_netbios_frame_has_a_24_bit_length() -> None:
    assert netbios_frame(b"abc") == b"\x00\x00\x00\x03abc"
    assert netbios_frame(b"x" * 70000)[:4] == b"\x00\x01\x11\x70"


def test_netbios_name_first_level_encoding() -> None:
    # RFC 1001 §14.1: "*SMBSERVER" padded with spaces, suffix 0x20.
    assert netbios_name("*SMBSERVER") == b"\x20CKFDENECFDEFFCFGEFFCCACACACACACA\x00"


def test_session_request_carries_both_names() -> None:
    request = netbios_session_request()
    assert request[0] == 0x81
    assert int.from_bytes(request[2:4], "big") == len(request) - 4 == 68


def test_smb1_negotiate_layout() -> None:
    message = smb1_negotiate((NT_LM_012, "SMB 2.002"))
    assert message[:4] == b"\xffSMB"
    assert message[4] == 0x72
    assert len(message) == 32 + 1 + 2 + len(b"\x02NT LM 0.12\x00\x02SMB 2.002\x00")
    assert message[32] == 0  # word count
    (byte_count,) = struct.unpack_from("<H", message, 33)
    assert message[35 : 35 + byte_count] == b"\x02NT LM 0.12\x00\x02SMB 2.002\x00"


def test_smb1_response_selecting_nt_lm_012_means_smbv1() -> None:
    result = parse_negotiate_response(smb1_response(0), (NT_LM_012,))
    assert result.smb1 and result.dialect == NT_LM_012
    assert "selecting NT LM 0.12" in result.describe()


def test_smb1_response_with_no_acceptable_dialect() -> None:
    result = parse_negotiate_response(smb1_response(0xFFFF), (NT_LM_012,))
    assert result.smb1 and result.dialect == ""


def test_smb1_error_status_accepts_nothing() -> None:
    result = parse_negotiate_response(smb1_response(0, status=0xC0000002), (NT_LM_012,))
    assert result.dialect == ""


def test_smb1_index_beyond_offer_is_an_error() -> None:
    with pytest.raises(SmbError, match="beyond"):
        parse_negotiate_response(smb1_response(3), (NT_LM_012,))


def test_smb2_wildcard_response() -> None:
    result = parse_negotiate_response(smb2_response(0x02FF), (NT_LM_012, "SMB 2.???"))
    assert not result.smb1
    assert result.dialect == "0x02ff"


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (b"", "not an SMB message"),
        (b"HTTP/1.1 400 Bad Request\r\n", "not an SMB message"),
        (b"\xffSMB\x72", "truncated"),
        (smb2_response(0x0311)[:60], "truncated"),
        (smb2_response(0x0311, command=1), "not NEGOTIATE"),
        (smb2_response(0x0311, size=9), "structure size"),
        (SMB1_HEADER_RESPONSE[:4] + b"\x73" + SMB1_HEADER_RESPONSE[5:] + b"\x00" * 3, "0x73"),
    ],
)
def test_malformed_answers_raise(message: bytes, why: str) -> None:
    with pytest.raises(SmbError, match=why):
        parse_negotiate_response(message, (NT_LM_012,))
