"""Verification against allowed_signers: each way a signature can be wrong gets its own message."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from offboard.report.signing.allowed_signers import match_pattern_list, parse_allowed_signers, verify_signature
from offboard.report.signing.sshsig import SignatureError
from tests.report.conftest import NAMESPACE, allowed

DATA = b'{"kind":"expel","seq":1}'


def reason(data: bytes, armored: str, signers_text: str, **kwargs) -> tuple[str, str]:
    with pytest.raises(SignatureError) as caught:
        verify_signature(data, armored, kwargs.pop("namespace", NAMESPACE), signers_text, **kwargs)
    return caught.value.reason, str(caught.value)


def test_good_signature_names_the_principal(signers):
    armored = signers["ed25519"].sign(DATA, NAMESPACE)
    assert verify_signature(DATA, armored, NAMESPACE, allowed(signers["ed25519"])) == "cc@example.org"
    assert verify_signature(DATA, armored, NAMESPACE, allowed(signers["ed25519"]), identity="cc@example.org")


@pytest.mark.parametrize("position", [0, 12, len(DATA) - 1])
def test_one_changed_byte_is_caught(signers, position):
    armored = signers["ed25519"].sign(DATA, NAMESPACE)
    changed = bytearray(DATA)
    changed[position] ^= 0x01
    assert reason(bytes(changed), armored, allowed(signers["ed25519"])) == (
        "changed",
        "the signature does not match the data: it was changed after signing",
    )


def test_wrong_namespace(signers):
    armored = signers["ed25519"].sign(DATA, "file")
    assert reason(DATA, armored, allowed(signers["ed25519"])) == (
        "namespace",
        f"it is signed for namespace 'file', not '{NAMESPACE}'",
    )


def test_wrong_signer(signers):
    armored = signers["ecdsa"].sign(DATA, NAMESPACE)
    code, message = reason(DATA, armored, allowed(signers["ed25519"]))
    assert code == "signer"
    assert message == f"it is signed by a key not in allowed_signers ({signers['ecdsa'].fingerprint})"


def test_identity_namespaces_and_validity_restrict_a_listed_key(signers):
    armored = signers["ed25519"].sign(DATA, NAMESPACE)
    fp = signers["ed25519"].fingerprint
    code, message = reason(DATA, armored, allowed(signers["ed25519"]), identity="treasurer@example.org")
    assert (code, message) == (
        "signer",
        f"allowed_signers does not allow {fp} here (line 1 lists it for cc@example.org, not treasurer@example.org)",
    )
    scoped = allowed(signers["ed25519"], options='namespaces="git,file"')
    assert reason(DATA, armored, scoped)[1].endswith("(line 1: namespaces restricts it to git,file)")
    expired = allowed(signers["ed25519"], options='valid-before="20250101Z"')
    assert "it was valid only before 2025-01-01T00:00:00+00:00" in reason(DATA, armored, expired)[1]
    window = allowed(signers["ed25519"], options='namespaces="offboard-report@*",valid-after="20250101"')
    assert verify_signature(DATA, armored, NAMESPACE, window, now=datetime(2026, 1, 1, tzinfo=UTC))


def test_cert_authority_lines_are_refused_clearly(signers):
    armored = signers["ed25519"].sign(DATA, NAMESPACE)
    line = allowed(signers["ed25519"], principal="*@example.org", options="cert-authority")
    assert reason(DATA, armored, line)[1].endswith("is listed only as a cert-authority, which offboard does not support")


def test_parse_allowed_signers_format(signers):
    text = (
        "# the CC's keys\n\n"
        f'"cc@example.org,treasurer@example.org" namespaces="offboard-report@example.org" {signers["rsa"].public_key_line}'
        " treasurer laptop\n"
        "someone@example.org ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t\n"
    )
    (entry,) = parse_allowed_signers(text)  # certificates are skipped: they never sign reports
    assert entry.principals == "cc@example.org,treasurer@example.org"
    assert entry.namespaces == NAMESPACE and entry.key == signers["rsa"].public_key and entry.line == 3
    with pytest.raises(SignatureError, match=re.escape("allowed_signers line 1 is not valid (unknown option")):
        parse_allowed_signers(f"cc@example.org no-touch-required {signers['rsa'].public_key_line}")
    with pytest.raises(SignatureError, match=r"line 2 is not valid .*: fix or remove it"):
        parse_allowed_signers("\ncc@example.org ssh-ed25519 !!notbase64!!")


def test_match_pattern_list():
    assert match_pattern_list("cc@example.org", "*@example.org")
    assert match_pattern_list("cc@example.org", "x@y,cc@example.org")
    assert not match_pattern_list("cc@example.org", "*@example.org,!cc@*")
    assert not match_pattern_list("cc@example.org", "c?@example.com")
    assert match_pattern_list("a.b", "a.b") and not match_pattern_list("axb", "a.b")


def test_damaged_signature_text(signers):
    armored = signers["ed25519"].sign(DATA, NAMESPACE)
    assert reason(DATA, "hello", allowed(signers["ed25519"]))[0] == "damaged"
    truncated = armored.replace(armored.splitlines()[2] + "\n", "")
    assert reason(DATA, truncated, allowed(signers["ed25519"]))[0] == "damaged"
