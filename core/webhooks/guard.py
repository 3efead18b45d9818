"""SSRF guard: webhook targets must resolve to public addresses (loopback/private by setting)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

# Cloud metadata services; refused even when private or loopback targets are allowed.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)


class UnsafeTarget(Exception):
    """The URL is malformed or points somewhere webhooks must not go."""


def _refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if settings.WEBHOOK_ALLOW_LOOPBACK else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return None if settings.WEBHOOK_ALLOW_PRIVATE else "a private address"
    return None


def parse_target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an acceptable URL shape."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget("Enter a valid URL") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("Enter an http or https URL")
    if parts.username or parts.password:
        raise UnsafeTarget("Credentials in the URL are not allowed; verify the signature instead")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve_safe(url: str) -> tuple[str, str, int, str]:
    """Resolves the URL's host and returns (scheme, host, port, ip) to connect to.

    Every address the name resolves to must be acceptable, and the caller connects to the
    address checked here, so a DNS answer that changes between check and use cannot redirect
    the request (DNS rebinding).
    """
    scheme, host, port = parse_target(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"The host '{host}' could not be resolved") from exc
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for ip in addresses:
        reason = _refusal(ip)
        if reason:
            raise UnsafeTarget(f"The host '{host}' resolves to {reason} ({ip})")
    return scheme, host, port, str(addresses[0])
