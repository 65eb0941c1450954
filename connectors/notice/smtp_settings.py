"""``[notice.smtp]``: the SMTP server the notice goes through, checked when the config is read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.spi import AuthError, ConfigError, FatalError, Mailbox

from .smtp import TLS_MODES, SmtpMailbox

KEYS = ("host", "port", "username", "password_env", "tls")
DEFAULT_PORT = 587  # STARTTLS; 465 for implicit TLS


def settings_problems(table: Mapping[str, Any]) -> list[str]:
    """Every problem of the table, each naming its key; empty when it can be used."""
    problems = [f"[notice.smtp]: unknown key {key!r} (known: {', '.join(KEYS)})" for key in table if key not in KEYS]
    host = table.get("host")
    if host is not None and not isinstance(host, str):
        problems.append(f'[notice.smtp] host must be the server\'s name in quotes, e.g. host = "smtp.example.org", not {host!r}')
    elif not (host or "").strip():
        problems.append('[notice.smtp] host is missing: name the SMTP server, e.g. host = "smtp.example.org"')
    port = table.get("port", DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        problems.append(f"[notice.smtp] port must be a port number (587 for STARTTLS, 465 for implicit TLS), not {port!r}")
    if "tls" in table and table["tls"] not in TLS_MODES:
        problems.append(f"[notice.smtp] tls must be one of {', '.join(TLS_MODES)}, not {table['tls']!r}")
    for key in ("username", "password_env"):
        if key in table and not isinstance(table[key], str):
            problems.append(f"[notice.smtp] {key} must be a text")
    if table.get("username") and not table.get("password_env"):
        problems.append('[notice.smtp] username needs password_env: the environment variable holding the password, '
                        'e.g. password_env = "NOTICE_SMTP_PASSWORD"')
    return problems


def mailbox_from_settings(table: Mapping[str, Any], sender: str, environ: Mapping[str, str]) -> Mailbox:
    """The SMTP mailbox of the table, with the password read from its environment variable now."""
    variable = str(table.get("password_env") or "")
    password = environ.get(variable, "") if variable else ""
    if variable and not password:
        raise AuthError(f"environment variable {variable} is not set: export the SMTP password of "
                        f"{table.get('username') or sender} in it ([notice.smtp] password_env)")
    try:
        return SmtpMailbox(str(table["host"]), int(table.get("port", DEFAULT_PORT)), str(table.get("username") or ""),
                           password, sender, tls=table.get("tls"), password_env=variable)
    except ConfigError as exc:
        raise FatalError(str(exc)) from None


def smtp_problems(table: Mapping[str, Any], sender: str, environ: Mapping[str, str]) -> list[str]:
    """For ``offboard doctor``: what stops a notice from being handed to the server (it is not sent a test mail)."""
    try:
        mailbox_from_settings(table, sender, environ)
    except (AuthError, FatalError) as exc:
        return [str(exc)]
    return []
