"""A signing key that cannot be used: one line saying why and what to point [signing] key at, nothing written."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from offboard.config import parse_config
from offboard.errors import OffboardError
from offboard.report.signing.keys import load_signer

CONFIG = """\
[org]
name = "Example Org"
domain = "example.org"

[roster]
path = "roster.csv"

[connectors.fake]
state_file = "fake.json"

[signing]
key = "keys/offboard_ed25519"
"""
USE_ANOTHER = ('point [signing] key at an Ed25519, ECDSA or RSA key file (`offboard keygen` makes one), or set key = "agent" '
               "for a key held by ssh-agent")


def config(tmp_path: Path, key: str):
    data = {"org": {"name": "Example Org", "domain": "example.org"}, "roster": {"path": "r.csv"}, "signing": {"key": key}}
    return parse_config(data, tmp_path / "offboard.toml", {})


def refusal(tmp_path: Path, key: str = "key") -> str:
    with pytest.raises(OffboardError) as caught:
        load_signer(config(tmp_path, key), {}, ask=lambda prompt: pytest.fail("no passphrase should be asked"))
    return str(caught.value)


def test_a_garbage_key_file_stops_expel_before_anything_is_written(org, cli):
    org.write("offboard.toml", CONFIG)
    org.write("keys/offboard_ed25519", "this is not a key\n")
    assert cli("expel", "m042", "--playbook", "test", "--yes") == (
        1, "", f"Error: signing key {org.root}/keys/offboard_ed25519 is not a usable OpenSSH private key (Not OpenSSH private "
               f"key format): {USE_ANOTHER}\n")
    assert org.fake.writes == 0
    assert not (org.root / ".offboard").exists()


def test_a_key_that_is_a_folder(tmp_path):
    (tmp_path / "key").mkdir()
    assert refusal(tmp_path) == f"signing key {tmp_path}/key is a folder, not a key file: point [signing] key at the private key file itself"


def test_a_key_that_cannot_be_read(tmp_path, monkeypatch):
    (tmp_path / "key").write_text("secret")
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self.name == "key":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert refusal(tmp_path) == (f"signing key {tmp_path}/key cannot be read (Permission denied): make it readable by you "
                                 "(chmod 600), or fix [signing] key")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_key_with_no_read_permission(tmp_path):
    (tmp_path / "key").write_text("secret")
    (tmp_path / "key").chmod(0)
    assert "cannot be read (Permission denied)" in refusal(tmp_path)


def test_a_key_path_through_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    assert refusal(tmp_path, "notes.txt/key") == (f"signing key {tmp_path}/notes.txt/key cannot be read (Not a directory): make "
                                                  "it readable by you (chmod 600), or fix [signing] key")


def test_an_empty_key_file(tmp_path):
    (tmp_path / "key").write_bytes(b"")
    assert refusal(tmp_path) == (f"signing key {tmp_path}/key is not a usable OpenSSH private key (Not OpenSSH private key "
                                 f"format): {USE_ANOTHER}")


def test_a_damaged_key_whose_cipher_is_unknown(tmp_path):
    pem = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption())
    lines = pem.splitlines()
    blob = base64.b64decode(b"".join(lines[1:-1])).replace(b"none", b"nune", 1)  # cryptography: UnsupportedAlgorithm
    (tmp_path / "key").write_bytes(lines[0] + b"\n" + base64.encodebytes(blob) + lines[-1] + b"\n")
    assert refusal(tmp_path) == (f"signing key {tmp_path}/key is not a usable OpenSSH private key (Unsupported cipher: "
                                 f"b'nune'): {USE_ANOTHER}")


def test_a_public_key_given_instead_of_the_private_one(tmp_path):
    public = ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (tmp_path / "key.pub").write_bytes(public + b" cc@example.org\n")
    assert refusal(tmp_path, "key.pub") == (f"signing key {tmp_path}/key.pub is not a usable OpenSSH private key (Not OpenSSH "
                                            f"private key format): {USE_ANOTHER}")
