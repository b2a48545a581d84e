"""Which addresses count as public: every IPv6 spelling of an internal IPv4 address is refused like the address."""

from __future__ import annotations

import ipaddress

import pytest

from bot.core.urls import is_public_address, safe_media_url

INTERNAL_IN_IPV6 = [
    "::ffff:169.254.169.254",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::169.254.169.254",  # IPv4-compatible (deprecated, still routed by some stacks)
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64: 169.254.169.254 through the well-known prefix
    "64:ff9b::7f00:1",  # NAT64: 127.0.0.1
    "64:ff9b::c0a8:101",  # NAT64: 192.168.1.1
    "64:ff9b:1::a9fe:a9fe",  # the local-use NAT64 prefix: never public
    "2002:a9fe:a9fe::1",  # 6to4 around 169.254.169.254
    "2002:7f00:1::",  # 6to4 around 127.0.0.1
    "2002:a00:1::1",  # 6to4 around 10.0.0.1
    "2001:0:a9fe:a9fe::5601:5601",  # Teredo with an internal server and client
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo (RFC 4380's own example)
    "fe80::1", "fc00::1", "::1", "::", "ff02::1",
]
PUBLIC = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "64:ff9b::5db8:d70e", "2002:5db8:d70e::1"]


@pytest.mark.parametrize("address", INTERNAL_IN_IPV6)
def test_ipv6_forms_of_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))
    assert safe_media_url(f"https://[{address}]/video.mp4") is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_and_their_translations_are(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_the_issue_s_example_is_refused() -> None:
    assert safe_media_url("https://[64:ff9b::a9fe:a9fe]/") is None
    assert safe_media_url("https://[2002:a9fe:a9fe::]/latest/meta-data") is None
