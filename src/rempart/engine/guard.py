"""The safety guard: which addresses the engine may send traffic to.

Design §4: refuse private, loopback, link-local, multicast, reserved and cloud-metadata
addresses, and check again after every resolution (DNS rebinding). Lab mode opens
127.0.0.0/8 and nothing else — not ::1, not 10/8 — because the lab lives there.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

LAB_NETWORK = ipaddress.ip_network("127.0.0.0/8")

# Addresses that the ``is_*`` properties do not all catch, named for the reader.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "169.254.169.254/32",  # cloud metadata (AWS, GCP, Azure, OpenStack)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking (RFC 2544)
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "64:ff9b:1::/48",  # local-use NAT64
    )
)


class GuardRefusal(Exception):
    """The guard refused an address; the message says which rule and why."""


@dataclass(frozen=True, slots=True)
class Guard:
    lab: bool = False

    def check(self, address: str | IPAddress) -> IPAddress:
        """Return the parsed address or raise :class:`GuardRefusal`."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise GuardRefusal(f"{address!r} is not an IP address") from None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            # ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address it maps.
            return self._check_v4_mapped(ip, ip.ipv4_mapped)
        if self.lab and ip in LAB_NETWORK:
            return ip
        reason = refusal_reason(ip)
        if reason:
            hint = " (lab mode allows 127.0.0.0/8 only)" if ip.is_loopback else ""
            raise GuardRefusal(f"refused {ip}: {reason}{hint}")
        return ip

    def _check_v4_mapped(self, ip: IPAddress, v4: ipaddress.IPv4Address) -> IPAddress:
        self.check(v4)
        return ip

    def allows(self, address: str | IPAddress) -> bool:
        try:
            self.check(address)
        except GuardRefusal:
            return False
        return True


def refusal_reason(ip: IPAddress) -> str:
    """Why an address is not a public internet address, or '' if it is one."""
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_unspecified:
        return "unspecified address"
    for net in _EXTRA_BLOCKED:
        if ip.version == net.version and ip in net:
            return f"special-use address ({net})"
    if ip.is_reserved:
        return "reserved address"
    if ip.is_private:
        return "private address"
    if not ip.is_global:
        return "not a global address"
    return ""
