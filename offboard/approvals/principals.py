"""Who may approve: the approvers file (allowed_signers format), and how principals are compared.

Principals are compared after Unicode NFKC normalisation and case folding, so "Alice@Example.org"
and "alice@example.org" are one approver. Look-alikes from another script ("\u0410lice", a Cyrillic
A) stay different principals: the approvers file, which the org controls, decides who is who, and
one key counts once whatever principal it signs as (``quorum``). Two spellings in the file that
normalise to one principal, a wildcard pattern, or an invisible or control character in a principal
are configuration errors: each approver must be named exactly once.
"""

from __future__ import annotations

import hashlib
import string
import unicodedata
from dataclasses import dataclass

from offboard.errors import ConfigurationError
from offboard.report.signing.allowed_signers import AllowedSigner, parse_allowed_signers
from offboard.report.signing.sshsig import SignatureError

_SAFE = frozenset(string.ascii_lowercase + string.digits + "-_.@+=")
_SLUG_LIMIT = 200  # file names stay under 255 bytes with ".json.sig"


def canonical(principal: str) -> str:
    """The form principals are compared in: NFKC, case folded, NFKC again (Unicode's NFKC_Casefold)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", principal).casefold())


def principal_problem(principal: str) -> str | None:
    """Why ``principal`` cannot name an approver, or None: empty, or holding a control, invisible or odd space."""
    if not principal.strip():
        return "it is empty"
    if principal != principal.strip():
        return "it starts or ends with a space"
    for char in principal:
        category = unicodedata.category(char)
        if category.startswith("C") or category in ("Zl", "Zp") or (category == "Zs" and char != " "):
            return f"it holds the invisible or control character U+{ord(char):04X}"
    return None


def slug(principal: str) -> str:
    """A safe file name for ``principal``; two principals that differ after ``canonical`` never share one.

    Lowercase ASCII letters, digits and ``-_.@+=`` are kept; every other byte of the UTF-8 form is
    written ``%XX`` (``%`` itself too), so the mapping is one-to-one, even on a case-insensitive disk.
    A leading ``.`` or ``-`` is escaped (no hidden file, no option look-alike); a very long name is cut
    and ends with ``~`` and a hash (``~`` never appears otherwise).
    """
    text = canonical(principal)
    parts = []
    for position, char in enumerate(text):
        if char in _SAFE and not (position == 0 and char in ".-"):
            parts.append(char)
        else:
            parts.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    name = "".join(parts)
    if len(name) > _SLUG_LIMIT:
        name = name[:150].rstrip("%0123456789ABCDEF") + "~" + hashlib.sha256(text.encode()).hexdigest()[:40]
    return name


@dataclass(frozen=True)
class Approvers:
    """The parsed approvers file: its text (what signatures are checked against) and its principals."""

    text: str
    source: str
    entries: tuple[AllowedSigner, ...]
    names: dict[str, str]  # canonical form -> the spelling in the file

    @classmethod
    def parse(cls, text: str, source: str) -> Approvers:
        """Every entry of the file; a malformed line or an ambiguous principal raises ConfigurationError."""
        try:
            entries = tuple(e for e in parse_allowed_signers(text, source) if not e.cert_authority)
        except SignatureError as exc:
            raise ConfigurationError(str(exc)) from exc
        names: dict[str, str] = {}
        where: dict[str, int] = {}
        for entry in entries:
            for principal in entry.principals.split(","):
                fix = f"approvers file {source} line {entry.line}: principal {principal!r}"
                if any(mark in principal for mark in "*?") or principal.startswith("!"):
                    raise ConfigurationError(f"{fix} is a pattern: name each approver on their own line, without * ? or !")
                problem = principal_problem(principal)
                if problem:
                    raise ConfigurationError(f"{fix} cannot name an approver ({problem}): fix it")
                key = canonical(principal)
                if key in names and names[key] != principal:
                    raise ConfigurationError(
                        f"{fix} is the same approver as {names[key]!r} on line {where[key]} (they differ only in case "
                        "or Unicode form): spell each approver one way")
                names.setdefault(key, principal)
                where.setdefault(key, entry.line)
        if not names:
            raise ConfigurationError(f"approvers file {source} lists nobody: add one line per approver, "
                                     "PRINCIPAL ssh-ed25519 AAAA... (the line of their public key)")
        return cls(text, source, entries, names)

    def spelling(self, principal: str) -> str | None:
        """The file's spelling of ``principal`` (compared in canonical form), or None when it is not an approver."""
        return self.names.get(canonical(principal))

    def principals_for(self, key: bytes) -> list[str]:
        """Every principal the key is listed for, in file order, each once."""
        found: list[str] = []
        for entry in self.entries:
            if entry.key == key:
                found += [p for p in entry.principals.split(",") if p not in found]
        return found

    def keys_of(self, principal: str) -> list[bytes]:
        """The keys listed for ``principal`` (in canonical form)."""
        wanted = canonical(principal)
        return [e.key for e in self.entries if any(canonical(p) == wanted for p in e.principals.split(","))]
