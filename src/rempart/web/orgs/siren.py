"""French company identifiers: SIREN (9 digits, Luhn key) and NAF/APE codes, département codes."""

from __future__ import annotations

import re

_NAF = re.compile(r"^\d{2}\.?\d{2}[A-Z]$")
_DEPARTEMENTS = (
    {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"} | {str(n) for n in range(971, 977)}
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def normalise_siren(text: str) -> str:
    """Digits only (spaces and dots allowed in input), or ValueError saying what is wrong."""
    digits = re.sub(r"[\s.\u00a0\u202f]", "", text)
    if not digits.isdigit() or len(digits) != 9:
        raise ValueError("length")
    if not luhn_ok(digits):
        raise ValueError("key")
    return digits


def normalise_naf(text: str) -> str:
    """``6201Z`` or ``62.01z`` → ``62.01Z`` (INSEE's NAF rév. 2 form), or ValueError."""
    value = text.strip().upper()
    if not _NAF.match(value):
        raise ValueError("format")
    digits = value.replace(".", "")
    return f"{digits[:2]}.{digits[2:4]}{digits[4]}"


def normalise_departement(text: str) -> str:
    value = text.strip().upper()
    if value.isdigit() and len(value) == 1:
        value = "0" + value
    if value not in _DEPARTEMENTS:
        raise ValueError("unknown")
    return value
