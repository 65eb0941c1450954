"""Signed confirmations of manual steps, and the names typed after ``--by``.

Where ``[approvals] approvers`` is configured, ``offboard confirm RUN STEP --key PATH|agent`` signs a
statement of what the confirmer vouches for, RFC 8785 (JCS) bytes::

    {"at": ..., "evidence": [{"name": ..., "sha256": ...}], "format": "offboard-confirmation/1",
     "not_applicable": false, "principal": "alice@example.org", "reason": null, "reference": "CASE-1",
     "run_id": ..., "step": "bank:remove-signer", "system": "bank"}

with an SSHSIG under the approvals' namespace ``offboard-approval@<domain>`` (so a line of the
approvers file restricted to that namespace works for both). A confirmation can never count as a plan
approval, nor the other way round: each reader accepts only its own ``format`` and exact fields. The
report keeps the statement and the signature, so anyone can check a confirmation with the approvers file::

    ssh-keygen -Y verify -f approvers -I PRINCIPAL -n offboard-approval@DOMAIN -s confirmation.sig < statement

A name typed after ``--by`` is compared in ``canonical`` form (NFKC, case folded): "Alice", "alice" and
a fullwidth "Alice" (U+FF21 U+FF4C...) are one person. NFKC does not fold look-alikes from another
script (a Cyrillic A, U+0410, stays Cyrillic), so a name mixing scripts is refused (``name_problem``); a
name written wholly in another script is another name. What tells people apart for sure is their key:
configure approvers.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from offboard.approvals.principals import Approvers, canonical, principal_problem
from offboard.errors import OffboardError
from offboard.report.signing import sshsig
from offboard.report.signing.allowed_signers import verify_signature
from offboard.report.signing.sshsig import SignatureError

if TYPE_CHECKING:
    from offboard.report.signing.keys import Signer

FORMAT = "offboard-confirmation/1"
FIELDS = ("at", "evidence", "format", "not_applicable", "principal", "reason", "reference", "run_id", "step", "system")
#: scripts written together in one name: Han with kana (Japanese) or with Hangul (Korean)
_ONE_WRITING = {"CJK": "CJK", "IDEOGRAPHIC": "CJK", "HIRAGANA": "CJK", "KATAKANA": "CJK", "KATAKANA-HIRAGANA": "CJK",
                "HANGUL": "CJK", "BOPOMOFO": "CJK"}


@dataclass(frozen=True)
class SignedConfirmation:
    """A confirmation's proof: who signed (as the approvers file spells them), with which key, what and how."""

    principal: str
    fingerprint: str  # SHA256:... of the key that signed
    namespace: str
    statement: str  # the RFC 8785 text signed: its UTF-8 bytes are what the signature covers
    signature: str  # armored SSHSIG, as ``ssh-keygen -Y sign`` writes it

    def to_dict(self) -> dict[str, str]:
        return {"principal": self.principal, "fingerprint": self.fingerprint, "namespace": self.namespace,
                "statement": self.statement, "signature": self.signature}


def scripts(name: str) -> list[str]:
    """The scripts of the letters in ``name`` (in canonical form), in order of appearance, each once.

    A letter's script is the first word of its Unicode name (LATIN, CYRILLIC, GREEK...); Han, kana and
    Hangul count as one writing. Marks, digits, spaces and punctuation belong to no script here.
    """
    found: list[str] = []
    for char in canonical(name):
        if not unicodedata.category(char).startswith("L"):
            continue
        word = unicodedata.name(char, "UNKNOWN").split()[0]
        if word == "MODIFIER":
            continue
        script = _ONE_WRITING.get(word, word.title())
        if script not in found:
            found.append(script)
    return found


def name_problem(name: str) -> str | None:
    """Why ``name`` (typed after ``--by``) cannot tell a person apart, or None."""
    problem = principal_problem(name)
    if problem:
        return f"{problem}: type the name as plain text"
    found = scripts(name)
    if len(found) > 1:
        return f"it mixes {' and '.join(found)} letters: type the name in one script"
    return None


def confirmation_statement(*, run_id: str, system: str, step: str, principal: str, at: str,
                           evidence: Sequence[Mapping[str, str]], reference: str | None, not_applicable: bool,
                           reason: str | None) -> dict[str, Any]:
    return {"format": FORMAT, "run_id": run_id, "system": system, "step": step, "principal": principal, "at": at,
            "evidence": [{"name": e["name"], "sha256": e["sha256"]} for e in evidence], "reference": reference,
            "not_applicable": not_applicable, "reason": reason}


def statement_text(statement: Mapping[str, Any]) -> str:
    """The canonical (RFC 8785) text of ``statement``: its UTF-8 bytes are signed."""
    import rfc8785

    return bytes(rfc8785.dumps(dict(statement))).decode("utf-8")


def sign_confirmation(statement: Mapping[str, Any], signer: Signer, namespace: str,
                      approvers: Approvers) -> SignedConfirmation:
    """Sign ``statement`` and check the signature as a reader will: one the approvers file would not count is refused."""
    text = statement_text(statement)
    armored = signer.sign(text.encode("utf-8"), namespace)
    principal = str(statement["principal"])
    try:
        verify_signature(text.encode("utf-8"), armored, namespace, approvers.text, identity=principal)
    except SignatureError as exc:
        raise OffboardError(f"the approvers file {approvers.source} would not count this confirmation ({exc}): "
                            "nothing was recorded") from exc
    return SignedConfirmation(principal, signer.fingerprint, namespace, text, armored)


def verify_confirmation(signed: Mapping[str, Any], approvers_text: str, namespace: str | None = None) -> dict[str, Any]:
    """Check a confirmation's proof (``SignedConfirmation.to_dict``, as the report lists it) against the
    approvers file's text, under ``namespace`` (default: the one it names); returns the statement.
    ``SignatureError`` or ``ValueError`` say what is wrong."""
    text, principal = str(signed["statement"]), str(signed["principal"])
    data = text.encode("utf-8")
    statement = json.loads(text)
    if not isinstance(statement, dict) or statement.get("format") != FORMAT or sorted(statement) != list(FIELDS):
        raise ValueError(f"it is not a confirmation statement (format {FORMAT} with the fields {', '.join(FIELDS)})")
    if statement_text(statement) != text:
        raise ValueError("its statement is not the canonical (RFC 8785) form that offboard signs")
    if canonical(str(statement["principal"])) != canonical(principal):
        raise ValueError(f"its statement names {statement['principal']!r}, not {principal!r}")
    verify_signature(data, str(signed["signature"]), namespace or str(signed["namespace"]), approvers_text,
                     identity=principal)
    signature = sshsig.Signature.parse(str(signed["signature"]))
    if "fingerprint" in signed and sshsig.fingerprint(signature.public_key) != signed["fingerprint"]:
        raise ValueError(f"it is signed by key {sshsig.fingerprint(signature.public_key)}, not {signed['fingerprint']}")
    return statement
