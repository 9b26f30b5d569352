"""OSV ecosystems: how each one names a package, and the univers class that orders its versions.

An OSV record says ``{"ecosystem": "PyPI", "name": "django"}``; an SBOM says
``pkg:pypi/Django@3.2``. Both become one index key, ``("PyPI", "django")``, so the lookup is a
dictionary hit. Version order is never hand-written here: each ecosystem maps to the univers
version class that implements its rules (PEP 440, Maven's ComparableVersion, Debian's dpkg
order, SemVer for npm and Go…). An ecosystem without one (CRAN, Hackage, Linux…) is matched on
its enumerated ``versions[]`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from packageurl import PackageURL
from univers.versions import (
    AlpineLinuxVersion,
    ComposerVersion,
    DebianVersion,
    GolangVersion,
    InvalidVersion,
    MavenVersion,
    NugetVersion,
    PypiVersion,
    RpmVersion,
    RubygemsVersion,
    SemverVersion,
    Version,
)

# OSV ecosystem (the part before ":") -> the univers class that orders its versions.
VERSION_CLASS: dict[str, type[Version]] = {
    "PyPI": PypiVersion,
    "npm": SemverVersion,  # univers's NpmVersionRange orders npm versions with SemverVersion
    "Maven": MavenVersion,
    "Go": GolangVersion,
    "Debian": DebianVersion,
    "Ubuntu": DebianVersion,
    "RubyGems": RubygemsVersion,
    "crates.io": SemverVersion,
    "NuGet": NugetVersion,
    "Packagist": ComposerVersion,
    "Hex": SemverVersion,
    "Pub": SemverVersion,
    "SwiftURL": SemverVersion,
    "Bitnami": SemverVersion,
    "Alpine": AlpineLinuxVersion,
    "Wolfi": AlpineLinuxVersion,
    "Chainguard": AlpineLinuxVersion,
    "AlmaLinux": RpmVersion,
    "Rocky Linux": RpmVersion,
    "Red Hat": RpmVersion,
    "SUSE": RpmVersion,
    "openSUSE": RpmVersion,
    "Photon OS": RpmVersion,
    "Mageia": RpmVersion,
}

# Ecosystems of Linux distributions: their versions carry backported fixes.
DISTRIBUTIONS = frozenset(
    {
        "Debian",
        "Ubuntu",
        "Alpine",
        "Wolfi",
        "Chainguard",
        "AlmaLinux",
        "Rocky Linux",
        "Red Hat",
        "SUSE",
        "openSUSE",
        "Photon OS",
        "Mageia",
    }
)

# Classes whose version values hash consistently with their equality, so that a set lookup
# finds "2.0.0" among ["2.0"]. Maven's hashes its text although "1.0" == "1.0.0"; Alpine's
# does not hash: those are compared one by one.
HASH_CONSISTENT = frozenset(
    {
        PypiVersion,
        DebianVersion,
        SemverVersion,
        GolangVersion,
        RubygemsVersion,
        NugetVersion,
        ComposerVersion,
    }
)

# purl type (and, for distributions, namespace) -> OSV ecosystem.
_ECOSYSTEM_BY_PURL_TYPE = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "gem": "RubyGems",
    "cargo": "crates.io",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "cran": "CRAN",
    "hackage": "Hackage",
    "conan": "ConanCenter",
}
_ECOSYSTEM_BY_DISTRO = {
    ("deb", "debian"): "Debian",
    ("deb", "ubuntu"): "Ubuntu",
    ("apk", "alpine"): "Alpine",
    ("apk", "wolfi"): "Wolfi",
    ("apk", "chainguard"): "Chainguard",
    ("rpm", "almalinux"): "AlmaLinux",
    ("rpm", "rocky-linux"): "Rocky Linux",
    ("rpm", "rocky"): "Rocky Linux",
    ("rpm", "redhat"): "Red Hat",
    ("rpm", "suse"): "SUSE",
    ("rpm", "opensuse"): "openSUSE",
}
_CANONICAL = {name.lower(): name for name in (*VERSION_CLASS, *_ECOSYSTEM_BY_PURL_TYPE.values())}
_DEBIAN_CODENAMES = {
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
}
_PEP503 = re.compile(r"[-_.]+")


@dataclass(frozen=True, slots=True)
class PackageKey:
    """Where to look a package up: ``(ecosystem, name)`` plus the distribution release."""

    ecosystem: str  # base OSV ecosystem, "Debian" (never "Debian:12")
    name: str  # normalised as the ecosystem's OSV records name it
    release: str = ""  # "12" for Debian 12, "v3.18" for Alpine 3.18, "" when unknown


def split_ecosystem(ecosystem: str) -> tuple[str, str]:
    """``"Debian:12"`` -> ``("Debian", "12")``; ``"pypi"`` -> ``("PyPI", "")``.

    The suffix is a release for distributions. For Maven it is a repository URL
    (``Maven:https://maven.google.com``), which is not a release: it is dropped.
    """
    base, _, suffix = ecosystem.strip().partition(":")
    base = _CANONICAL.get(base.lower(), base)
    if base == "Maven":
        return base, ""
    if base == "Ubuntu" and suffix:
        # "Ubuntu:22.04:LTS" -> "22.04"; "Ubuntu:Pro:18.04:LTS" (fixes for Ubuntu Pro
        # subscribers only) -> "pro-18.04", which a plain 18.04 package never equals.
        found = re.search(r"\d{2}\.\d{2}", suffix)
        release = found.group(0) if found else suffix
        return base, f"pro-{release}" if suffix.startswith("Pro:") else release
    return base, suffix


def normalize_name(ecosystem: str, name: str) -> str:
    """The name as the ecosystem's OSV records spell it (PEP 503 for PyPI)."""
    name = name.strip()
    if ecosystem == "PyPI":
        return _PEP503.sub("-", name).lower()
    if ecosystem in ("NuGet", "Packagist"):  # case-insensitive registries
        return name.lower()
    return name


@lru_cache(maxsize=65536)
def ecosystem_for(purl_type: str, namespace: str) -> str:
    """The OSV ecosystem of a purl type (and, for a distribution, its namespace); a ``deb``
    package without a namespace is Debian's. "" when no ecosystem fits."""
    kind = purl_type.lower()
    found = _ECOSYSTEM_BY_PURL_TYPE.get(kind) or _ECOSYSTEM_BY_DISTRO.get((kind, namespace.lower()))
    if found is None and kind == "deb" and not namespace:
        return "Debian"
    return found or ""


def key_from_purl(purl: str) -> tuple[PackageKey, str] | None:
    """The index key and the version a package URL names, or None for an unknown type.

    Maven names are ``group:artifact``, Go names the module path, npm keeps the scope
    (``@angular/core``). A Debian purl names a binary package; OSV names the *source*
    package, which syft and Trivy put in the ``upstream`` qualifier (``upstream=openssl``,
    or ``openssl@1.1.1n-0+deb11u3`` when the source version differs): we use it when present.
    The ``distro`` qualifier (``debian-12``, ``debian-11.6``, ``bookworm``) gives the release.
    """
    try:
        parsed = PackageURL.from_string(purl.strip())
    except ValueError:
        return None
    kind = parsed.type.lower()
    namespace = parsed.namespace or ""
    ecosystem = _ECOSYSTEM_BY_PURL_TYPE.get(kind) or _ECOSYSTEM_BY_DISTRO.get(
        (kind, namespace.lower())
    )
    if ecosystem is None:
        return None
    qualifiers = parsed.qualifiers if isinstance(parsed.qualifiers, dict) else {}
    name = parsed.name
    if ecosystem == "Maven" and namespace:
        name = f"{namespace}:{name}"
    elif ecosystem in ("npm", "Go", "Packagist") and namespace:
        name = f"{namespace}/{name}"
    elif kind in ("deb", "rpm", "apk"):
        upstream = str(qualifiers.get("upstream") or qualifiers.get("source") or "")
        source_name = upstream.split("@", 1)[0].strip()
        name = source_name or name
    release = _release(ecosystem, str(qualifiers.get("distro") or ""))
    key = PackageKey(ecosystem, normalize_name(ecosystem, name), release)
    return key, parsed.version or ""


def _release(ecosystem: str, distro: str) -> str:
    distro = distro.strip().lower()
    if not distro:
        return ""
    if ecosystem == "Debian":
        if distro in _DEBIAN_CODENAMES:
            return _DEBIAN_CODENAMES[distro]
        found = re.search(r"(\d+)", distro)  # "debian-11.6" -> "11": OSV scopes by major
        return found.group(1) if found else ""
    if ecosystem == "Ubuntu":
        found = re.search(r"\d{2}\.\d{2}", distro)
        return found.group(0) if found else ""
    if ecosystem in ("Alpine",):
        found = re.search(r"(\d+)\.(\d+)", distro)  # "alpine-3.18.4" -> "v3.18"
        return f"v{found.group(1)}.{found.group(2)}" if found else ""
    return ""


def canonical_ecosystem(name: str) -> str:
    return _CANONICAL.get(name.strip().lower(), name.strip())


_PARSED: dict[tuple[type[Version], str], Version | None] = {}
_PARSED_MAX = 200_000


def parse_version(kind: type[Version], text: str) -> Version | None:
    """``text`` as a univers version of class ``kind``, or None when the scheme rejects it.

    Cached (a plain dict, cleared when it grows past 200,000 entries): an SBOM lists the same
    versions many times, and the bounds of one package's advisories repeat.
    """
    key = (kind, text)
    try:
        return _PARSED[key]
    except KeyError:
        pass
    try:
        value: Version | None = kind(text)
    except (InvalidVersion, ValueError, TypeError):
        value = None
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[key] = value
    return value


_MISSING = object()
_KEYS: dict[type[Version], dict[str, Any]] = {}
_PLAIN_ORDER: dict[type[Version], bool] = {}


def _plain_order(kind: type[Version]) -> bool:
    """True when ``kind`` orders by its ``value`` (attrs-generated comparisons of univers's
    base class); False when it overrides them (Gentoo, Alpine, Arch, OpenSSL…)."""
    known = _PLAIN_ORDER.get(kind)
    if known is None:
        names = ("__lt__", "__le__", "__gt__", "__ge__", "__eq__")
        known = all(getattr(kind, n) is getattr(Version, n) for n in names)
        _PLAIN_ORDER[kind] = known
    return known


def version_key(kind: type[Version], text: str) -> Any:
    """A value that orders exactly like ``kind(text)``, or None when the scheme rejects it.

    For classes that compare through attrs on their ``value`` (PyPI, Maven, Debian, SemVer,
    Go…), this is that value itself (a ``packaging`` version, a Maven ComparableVersion…):
    the same order, without attrs building a tuple for every comparison, which was most of
    the matching time (see bench/intel_match.py). Other classes give the univers object.
    Cached per class and text.
    """
    known = _KEYS.get(kind)
    if known is None:
        known = _KEYS[kind] = {}
    found = known.get(text, _MISSING)
    if found is not _MISSING:
        return found
    parsed = parse_version(kind, text)
    value: Any = None
    if parsed is not None:
        value = parsed.value if _plain_order(kind) else parsed
    if len(known) >= _PARSED_MAX:
        known.clear()
    known[text] = value
    return value
