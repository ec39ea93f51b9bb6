"""The address checker that keeps feeds from reaching loopback, the LAN or cloud metadata."""

from __future__ import annotations

import pytest

from ingest.netguard import blocked_reason

BLOCKED = [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.5.4",
    "172.31.255.1",
    "192.168.1.1",
    "0.0.0.0",
    "0.1.2.3",
    "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean metadata
    "169.254.1.1",
    "100.64.0.1",  # shared address space (CGNAT)
    "100.100.100.200",  # Alibaba Cloud metadata
    "168.63.129.16",  # Azure wire server
    "192.0.0.192",  # Oracle Cloud metadata
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",
    "198.18.0.1",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "fec0::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",  # IPv4-compatible
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "95.56.0.1",
    "2.133.0.1",
    "2a00:1450:4001:80b::200e",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert blocked_reason(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert blocked_reason(address) is None


def test_the_reason_names_the_embedded_ipv4_address() -> None:
    assert blocked_reason("::ffff:127.0.0.1") == "IPv6 form of 127.0.0.1: loopback address"
    assert blocked_reason("169.254.169.254") == "cloud metadata address"


def test_garbage_is_blocked() -> None:
    assert blocked_reason("example.com") == "not an IP address"
