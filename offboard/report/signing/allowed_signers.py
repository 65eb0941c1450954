"""The ``allowed_signers`` file (ssh-keygen(1), ALLOWED SIGNERS) and verification against it.

The CC publishes who may sign reports in this file; ``verify_signature`` answers the same
question as ``ssh-keygen -Y verify`` (or ``find-principals`` when no identity is given).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from offboard.report.signing import sshsig
from offboard.report.signing.sshsig import SignatureError


@dataclass(frozen=True)
class AllowedSigner:
    principals: str  # a pattern list: "cc@example.org,*@board.example.org"
    key: bytes  # public key blob
    namespaces: str | None = None  # a pattern list, or None for any namespace
    valid_after: datetime | None = None
    valid_before: datetime | None = None
    cert_authority: bool = False
    line: int = 0


def match_pattern_list(value: str, patterns: str) -> bool:
    """OpenSSH's ``match_pattern_list``: ``*``/``?`` wildcards, ``!`` negates and wins."""
    matched = False
    for pattern in patterns.split(","):
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in body)
        if re.fullmatch(regex, value, re.DOTALL):
            if negated:
                return False
            matched = True
    return matched


def _tokens(line: str) -> list[str]:
    """Split on blanks outside double quotes (options and principals may be quoted)."""
    tokens, current, quoted = [], "", False
    for char in line:
        if char == '"':
            quoted = not quoted
            current += char
        elif char.isspace() and not quoted:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += char
    if quoted:
        raise ValueError("unbalanced double quote")
    if current:
        tokens.append(current)
    return tokens


def _split_options(text: str) -> list[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _time(value: str) -> datetime:
    """``YYYYMMDD[HHMM[SS]][Z]``: UTC with a trailing Z, local time without (as OpenSSH)."""
    utc = value.endswith("Z")
    digits = value[:-1] if utc else value
    formats = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
    if not digits.isdigit() or len(digits) not in formats:
        raise ValueError(f"time '{value}' is not YYYYMMDD[HHMM[SS]][Z]")
    moment = datetime.strptime(digits, formats[len(digits)])
    return moment.replace(tzinfo=UTC) if utc else moment.astimezone()


def _parse_line(text: str, number: int) -> AllowedSigner | None:
    tokens = _tokens(text)
    if len(tokens) < 3:
        raise ValueError("expected 'PRINCIPALS [OPTIONS] KEYTYPE BASE64-KEY'")
    principals, rest = tokens[0].strip('"'), tokens[1:]
    options: dict[str, str | None] = {}
    if rest[0] not in sshsig.KEY_TYPES and not re.fullmatch(r"(ssh|ecdsa|sk)-[\w.@-]+", rest[0]):
        for option in _split_options(rest.pop(0)):
            name, _, value = option.partition("=")
            options[name.lower()] = value.strip('"') if value else None
    unknown = set(options) - {"cert-authority", "namespaces", "valid-after", "valid-before"}
    if unknown:
        raise ValueError(f"unknown option {', '.join(sorted(unknown))}")
    if len(rest) < 2:
        raise ValueError("the public key is missing")
    if rest[0] not in sshsig.KEY_TYPES:
        return None  # certificates and other key types: never the signer of our reports
    key = sshsig.blob_from_line(f"{rest[0]} {rest[1]}")
    return AllowedSigner(
        principals=principals,
        key=key,
        namespaces=options.get("namespaces"),
        valid_after=_time(options["valid-after"] or "") if "valid-after" in options else None,
        valid_before=_time(options["valid-before"] or "") if "valid-before" in options else None,
        cert_authority="cert-authority" in options,
        line=number,
    )


def parse_allowed_signers(text: str, source: str = "allowed_signers") -> list[AllowedSigner]:
    """Every usable entry; a malformed line is an error naming it (ssh-keygen refuses too)."""
    entries = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = _parse_line(line, number)
        except ValueError as exc:
            raise SignatureError(f"{source} line {number} is not valid ({exc}): fix or remove it", "config") from exc
        if entry:
            entries.append(entry)
    return entries


def _allowed(entry: AllowedSigner, namespace: str, now: datetime) -> str | None:
    """Why ``entry`` does not allow this signature, or None when it does."""
    if entry.namespaces is not None and not match_pattern_list(namespace, entry.namespaces):
        return f"namespaces restricts it to {entry.namespaces}"
    if entry.valid_after and now < entry.valid_after:
        return f"it is valid only after {entry.valid_after.isoformat()}"
    if entry.valid_before and now > entry.valid_before:
        return f"it was valid only before {entry.valid_before.isoformat()}"
    return None


def verify_signature(
    data: bytes,
    armored: str,
    namespace: str,
    allowed_signers: str,
    identity: str | None = None,
    now: datetime | None = None,
) -> str:
    """Check ``armored`` over ``data`` and return the signer's principals (or ``identity``).

    Raises ``SignatureError`` whose ``reason`` is ``namespace``, ``changed``, ``signer``,
    ``damaged`` or ``config``, with a message a volunteer can act on.
    """
    signature = sshsig.Signature.parse(armored)
    if signature.namespace != namespace:
        raise SignatureError(
            f"it is signed for namespace '{signature.namespace}', not '{namespace}'", "namespace"
        )
    sshsig.check(signature, data)
    entries = [e for e in parse_allowed_signers(allowed_signers) if e.key == signature.public_key]
    fp = sshsig.fingerprint(signature.public_key)
    if not entries:
        raise SignatureError(f"it is signed by a key not in allowed_signers ({fp})", "signer")
    if all(e.cert_authority for e in entries):
        raise SignatureError(f"{fp} is listed only as a cert-authority, which offboard does not support", "signer")
    moment = now or datetime.now(UTC)
    refusals = []
    for entry in (e for e in entries if not e.cert_authority):
        if identity is not None and not match_pattern_list(identity, entry.principals):
            refusals.append(f"line {entry.line} lists it for {entry.principals}, not {identity}")
            continue
        why = _allowed(entry, namespace, moment)
        if why is None:
            return identity if identity is not None else entry.principals
        refusals.append(f"line {entry.line}: {why}")
    raise SignatureError(f"allowed_signers does not allow {fp} here ({'; '.join(refusals)})", "signer")
