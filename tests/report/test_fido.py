"""FIDO (sk-) keys: signatures made by a hardware token through ssh-agent verify natively and with ssh-keygen.

No token is available in tests, so a software "authenticator" produces exactly what a token
returns: a signature over SHA-256(application) || flags || counter || SHA-256(data).
"""

from __future__ import annotations

import hashlib
import struct
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from offboard.report.signing import sshsig
from offboard.report.signing.allowed_signers import verify_signature
from offboard.report.signing.sshsig import SignatureError, mpint, string
from tests.report.conftest import NAMESPACE, needs_ssh_keygen

DATA = b'{"kind":"suspend","seq":4}'
APPLICATION = b"ssh:"
USER_PRESENT = 0x01


def token_signer(kind: str):
    """(public key blob, raw_sign) for a software stand-in of a FIDO token."""
    if kind == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
        point = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        name = "sk-ssh-ed25519@openssh.com"
        blob = string(name) + string(point) + string(APPLICATION)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
        point = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        name = "sk-ecdsa-sha2-nistp256@openssh.com"
        blob = string(name) + string("nistp256") + string(point) + string(APPLICATION)

    def raw_sign(data: bytes) -> bytes:
        counter = 7
        signed = (
            hashlib.sha256(APPLICATION).digest()
            + bytes([USER_PRESENT])
            + struct.pack(">I", counter)
            + hashlib.sha256(data).digest()
        )
        if isinstance(key, ed25519.Ed25519PrivateKey):
            inner = key.sign(signed)
        else:
            r, s = decode_dss_signature(key.sign(signed, ec.ECDSA(hashes.SHA256())))
            inner = mpint(r) + mpint(s)
        return string(name) + string(inner) + bytes([USER_PRESENT]) + struct.pack(">I", counter)

    return blob, raw_sign


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_fido_signatures_verify_natively(kind):
    blob, raw_sign = token_signer(kind)
    armored = sshsig.sign(DATA, NAMESPACE, blob, raw_sign)  # sign() checks it before returning
    signers_text = f"cc@example.org {sshsig.public_key_line(blob)}\n"
    assert verify_signature(DATA, armored, NAMESPACE, signers_text) == "cc@example.org"
    with pytest.raises(SignatureError, match="changed after signing"):
        verify_signature(DATA + b" ", armored, NAMESPACE, signers_text)


@needs_ssh_keygen
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa"])
def test_stock_ssh_keygen_accepts_fido_signatures(tmp_path, kind):
    blob, raw_sign = token_signer(kind)
    (tmp_path / "report.json").write_bytes(DATA)
    (tmp_path / "report.json.sig").write_text(sshsig.sign(DATA, NAMESPACE, blob, raw_sign))
    (tmp_path / "allowed_signers").write_text(f"cc@example.org {sshsig.public_key_line(blob)}\n")
    done = subprocess.run(
        ["ssh-keygen", "-Y", "verify", "-f", "allowed_signers", "-I", "cc@example.org", "-n", NAMESPACE,
         "-s", "report.json.sig"],
        cwd=tmp_path, input=DATA, capture_output=True, check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
