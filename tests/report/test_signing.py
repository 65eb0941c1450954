"""Signing: byte-compatible with ssh-keygen, verifiable by it, from files and from ssh-agent."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from offboard.config import parse_config
from offboard.errors import OffboardError
from offboard.report.signing import sshsig
from offboard.report.signing.agent import AgentClient
from offboard.report.signing.allowed_signers import verify_signature
from offboard.report.signing.keys import AgentSigner, FileKeySigner, generate_key, load_signer
from tests.report.conftest import NAMESPACE, allowed, needs_ssh_keygen, ssh_add

DATA = b'{"kind":"expel","seq":1}'


def ssh_keygen_verify(tmp_path: Path, armored: str, signers_text: str, identity: str = "cc@example.org") -> str:
    (tmp_path / "report.json").write_bytes(DATA)
    (tmp_path / "report.json.sig").write_text(armored)
    (tmp_path / "allowed_signers").write_text(signers_text)
    command = ["ssh-keygen", "-Y", "verify", "-f", "allowed_signers", "-I", identity, "-n", NAMESPACE]
    command += ["-s", "report.json.sig"]
    done = subprocess.run(command, cwd=tmp_path, input=DATA, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def config(tmp_path: Path, **signing: str):
    data = {"org": {"name": "Example Org", "domain": "example.org"}, "roster": {"path": "r.csv"}, "signing": signing}
    return parse_config(data, tmp_path / "offboard.toml", {})


@needs_ssh_keygen
def test_ed25519_signature_is_byte_for_byte_what_ssh_keygen_writes(tmp_path, key_files, signers):
    message = tmp_path / "report.json"
    message.write_bytes(DATA)
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(key_files["ed25519"]), "-n", NAMESPACE, str(message)],
                   check=True, capture_output=True)
    stock = (tmp_path / "report.json.sig").read_bytes()
    assert signers["ed25519"].sign(DATA, NAMESPACE).encode() == stock


@needs_ssh_keygen
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_stock_ssh_keygen_accepts_our_signature(tmp_path, signers, kind):
    armored = signers[kind].sign(DATA, NAMESPACE)
    assert 'Good "offboard-report@example.org" signature for cc@example.org' in ssh_keygen_verify(
        tmp_path, armored, allowed(signers[kind])
    )


@needs_ssh_keygen
@pytest.mark.parametrize("kind", ["ecdsa", "rsa"])
def test_we_verify_what_ssh_keygen_signs(tmp_path, key_files, signers, kind):
    message = tmp_path / "report.json"
    message.write_bytes(DATA)
    subprocess.run(["ssh-keygen", "-Y", "sign", "-f", str(key_files[kind]), "-n", NAMESPACE, str(message)],
                   check=True, capture_output=True)
    armored = (tmp_path / "report.json.sig").read_text()
    assert verify_signature(DATA, armored, NAMESPACE, allowed(signers[kind])) == "cc@example.org"


def test_armor_has_70_column_lines_and_rsa_uses_sha2_512(signers):
    armored = signers["rsa"].sign(DATA, NAMESPACE)
    lines = armored.splitlines()
    assert lines[0] == "-----BEGIN SSH SIGNATURE-----" and lines[-1] == "-----END SSH SIGNATURE-----"
    assert {len(line) for line in lines[1:-2]} == {70}
    signature = sshsig.Signature.parse(armored)
    assert sshsig.Reader(signature.signature).text() == "rsa-sha2-512"


def test_generated_key_loads_and_its_fingerprint_matches(tmp_path):
    key = generate_key(tmp_path / "keys" / "offboard_ed25519", "cc@example.org")
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert key.private_path.stat().st_mode & 0o777 == 0o600
    assert key.public_path.read_text() == f"{key.public_key_line} cc@example.org\n"
    signer = load_signer(config(tmp_path, key="keys/offboard_ed25519"))
    assert signer is not None and signer.fingerprint == key.fingerprint
    assert key.allowed_signers_line("cc@example.org", NAMESPACE) == (
        f'cc@example.org namespaces="{NAMESPACE}" {key.public_key_line}'
    )
    with pytest.raises(OffboardError, match="already exists: offboard never overwrites a signing key"):
        generate_key(key.private_path, "cc@example.org")


@needs_ssh_keygen
def test_passphrase_protected_key(tmp_path):
    key = generate_key(tmp_path / "k", "cc@example.org", passphrase="correct horse")
    done = subprocess.run(["ssh-keygen", "-y", "-P", "correct horse", "-f", str(key.private_path)],
                          capture_output=True, check=True, text=True)
    assert done.stdout.split()[:2] == key.public_key_line.split()  # stock OpenSSH opens it too
    cfg = config(tmp_path, key="k", passphrase_env="OFFBOARD_KEY_PASS")
    signer = load_signer(cfg, {"OFFBOARD_KEY_PASS": "correct horse"})
    assert signer is not None and signer.fingerprint == key.fingerprint
    with pytest.raises(OffboardError, match=r"the passphrase for .*/k is wrong: check it and try again"):
        load_signer(cfg, {"OFFBOARD_KEY_PASS": "wrong"})
    with pytest.raises(OffboardError, match=r"protected by a passphrase and \$OFFBOARD_KEY_PASS is empty"):
        load_signer(cfg, {})
    prompted = config(tmp_path, key="k")
    asked = []
    signer = load_signer(prompted, {}, ask=lambda prompt: asked.append(prompt) or "correct horse")
    assert signer is not None and asked == [f"Passphrase for {tmp_path / 'k'}: "]
    with pytest.raises(OffboardError, match="no terminal to ask it on: set \\[signing\\] passphrase_env"):
        load_signer(prompted, {}, ask=lambda prompt: None)


def test_load_signer_errors(tmp_path):
    assert load_signer(config(tmp_path)) is None
    with pytest.raises(OffboardError, match=r"signing key .*missing_key does not exist: run `offboard keygen`"):
        load_signer(config(tmp_path, key="missing_key"))
    with pytest.raises(OffboardError, match=r"\[signing\]: unknown key keyfile"):
        load_signer(config(tmp_path, keyfile="x"))
    with pytest.raises(OffboardError, match="SSH_AUTH_SOCK is not set"):
        load_signer(config(tmp_path, key="agent"), {})
    with pytest.raises(OffboardError, match=r"cannot talk to ssh-agent at /nonexistent/agent\.sock"):
        load_signer(config(tmp_path, key="agent"), {"SSH_AUTH_SOCK": "/nonexistent/agent.sock"})


@needs_ssh_keygen
def test_agent_held_keys_sign_for_ssh_keygen_and_for_us(tmp_path, agent_socket, key_files, signers):
    for kind in ("ed25519", "ecdsa", "rsa"):
        ssh_add(agent_socket, key_files[kind])
    agent = AgentClient(agent_socket)
    assert {sshsig.key_type(i.key) for i in agent.identities()} == {"ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"}
    for kind in ("ed25519", "ecdsa", "rsa"):
        signer = AgentSigner.choose(agent, signers[kind].public_key)
        armored = signer.sign(DATA, NAMESPACE)
        assert verify_signature(DATA, armored, NAMESPACE, allowed(signers[kind])) == "cc@example.org"
        assert "Good" in ssh_keygen_verify(tmp_path, armored, allowed(signers[kind]))
    assert signers["ed25519"].sign(DATA, NAMESPACE) == AgentSigner.choose(agent, signers["ed25519"].public_key).sign(
        DATA, NAMESPACE
    )


def test_agent_key_is_chosen_by_config(tmp_path, agent_socket, key_files, signers):
    ssh_add(agent_socket, key_files["ed25519"])
    env = {"SSH_AUTH_SOCK": agent_socket}
    only = load_signer(config(tmp_path, key="agent"), env)
    assert only is not None and only.fingerprint == signers["ed25519"].fingerprint
    ssh_add(agent_socket, key_files["rsa"])
    with pytest.raises(OffboardError, match=r"ssh-agent holds 2 usable keys .*: set \[signing\] agent_key"):
        load_signer(config(tmp_path, key="agent"), env)
    by_fingerprint = load_signer(config(tmp_path, key="agent", agent_key=signers["rsa"].fingerprint), env)
    assert by_fingerprint is not None and by_fingerprint.public_key == signers["rsa"].public_key
    pub = str(key_files["rsa"]) + ".pub"
    by_pub = load_signer(config(tmp_path, key="agent", agent_key=pub), env)
    assert by_pub is not None and by_pub.public_key == signers["rsa"].public_key
    absent = signers["ecdsa"].fingerprint
    with pytest.raises(OffboardError, match=re.escape(f"ssh-agent does not hold the signing key {absent}")):
        load_signer(config(tmp_path, key="agent", agent_key=absent), env)


def test_file_signer_refuses_other_key_types():
    from cryptography.hazmat.primitives.asymmetric import dsa

    with pytest.raises(OffboardError, match="keys cannot sign reports: use Ed25519"):
        FileKeySigner(dsa.generate_private_key(key_size=1024))  # type: ignore[arg-type]

