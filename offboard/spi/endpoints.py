"""Endpoint overrides: a connector pointed at another root URL (an emulator, a proxy) still speaks TLS.

A real service is never reached over plain ``http://``: an override must be ``https``,
unless it names this machine (127.0.0.0/8, ::1, localhost) and the connector's table says
``insecure_endpoint = true``, as the demo's sandbox and the tests do for the emulators.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from offboard.spi.errors import ConfigError

LOOPBACK = "127.0.0.1, ::1, localhost"
INSECURE_NOTE = "insecure, loopback emulator"


def is_loopback(host: str) -> bool:
    """Is ``host`` this machine: ``localhost``, an address in 127.0.0.0/8, or ``::1``?"""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(url: str, insecure_allowed: bool, where: str) -> str:
    """``url`` when it may be used; else ``ConfigError`` naming ``where`` (``[connectors.slack] base_url``).

    Empty means "no override" and is returned as is. ``insecure_allowed`` is the table's
    ``insecure_endpoint``: it lets plain http reach this machine, never another host.
    """
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # a malformed address, e.g. an unclosed [ of an IPv6 host
        parts, host = None, ""
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise ConfigError(f"{where} {url!r} is not a web address: give a URL such as https://host/path/")
    if parts.scheme.lower() == "https":
        return url
    loopback = is_loopback(host)
    if insecure_allowed and loopback:
        return url
    if insecure_allowed:
        raise ConfigError(f"{where} {url!r} is plain http to {host}, which is not this machine: use https "
                          f"(insecure_endpoint = true allows plain http only to {LOOPBACK})")
    raise ConfigError(f"{where} {url!r} is plain http: use https, or for an emulator on this machine "
                      f"({LOOPBACK}) set insecure_endpoint = true")


def endpoint_note(url: str) -> str:
    """How ``doctor`` qualifies an override that passed ``check_endpoint``: plain http is a loopback emulator."""
    return INSECURE_NOTE if url.lower().startswith("http://") else ""
