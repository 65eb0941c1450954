"""Keys, an ssh-agent, a sample report document and a signed ledger, shared by the report tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from offboard.report.ledger import Ledger
from offboard.report.signing.keys import FileKeySigner

NAMESPACE = "offboard-report@example.org"
needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None,
    reason="ssh-keygen (OpenSSH) is not installed, so the check against the stock tool cannot run",
)


def write_key(path: Path, kind: str) -> Path:
    """An unencrypted OpenSSH private key file (0600) and its .pub, made without ssh-keygen."""
    keys = {
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "ecdsa": lambda: ec.generate_private_key(ec.SECP256R1()),
        "rsa": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048),
    }
    key = keys[kind]()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    path.write_bytes(private)
    path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    path.with_name(path.name + ".pub").write_text(public.decode() + f" {kind}@test\n")
    return path


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    return {kind: write_key(folder / f"id_{kind}", kind) for kind in ("ed25519", "ecdsa", "rsa")}


@pytest.fixture(scope="session")
def signers(key_files: dict[str, Path]) -> dict[str, FileKeySigner]:
    return {kind: FileKeySigner.from_file(path, lambda: "") for kind, path in key_files.items()}


def allowed(signer: FileKeySigner, principal: str = "cc@example.org", options: str = "") -> str:
    return f"{principal}{' ' + options if options else ''} {signer.public_key_line}\n"


@pytest.fixture
def agent_socket() -> Iterator[str]:
    """A real ssh-agent on a private socket, stopped afterwards."""
    if not (shutil.which("ssh-agent") and shutil.which("ssh-add")):
        pytest.skip("ssh-agent/ssh-add (OpenSSH) are not installed, so the agent cannot be tested")
    folder = tempfile.mkdtemp(prefix="offb-agent-")  # short: unix socket paths are limited to ~100 bytes
    socket_path = os.path.join(folder, "agent.sock")
    process = subprocess.Popen(["ssh-agent", "-D", "-a", socket_path], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.exists(socket_path):  # the agent needs a moment to bind its socket
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("ssh-agent did not start")
            time.sleep(0.005)
        yield socket_path
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def ssh_add(socket_path: str, key: Path) -> None:
    env = {**os.environ, "SSH_AUTH_SOCK": socket_path}
    subprocess.run(["ssh-add", "-q", str(key)], env=env, check=True, capture_output=True)


def document(**changes: Any) -> dict[str, Any]:
    """A report as the engine produces it, before the ledger adds seq, prev_sha256 and signed."""
    base: dict[str, Any] = {
        "format": "offboard-report/1",
        "kind": "expel",
        "run_id": "run-20261124-1000",
        "org": {"name": "Example Org", "domain": "example.org"},
        "member": {"id": "m042", "name": "Bob Example"},
        "playbook": {"name": "expel", "sha256": "ab" * 32},
        "operator": "alice@example.org",
        "started": "2026-11-24T10:00:00Z",
        "finished": "2026-11-24T10:01:30Z",
        "status": "incomplete",
        "summary": {"changed": 1, "ok": 1, "failed": 1, "skipped": 0, "manual": 1},
        "systems": [
            {
                "name": "google",
                "title": "Google Workspace",
                "account": "bob@example.org",
                "note": None,
                "actions": [
                    action("google:signout", "Sign Bob out of every session", "cut", "changed", before=2, after=0),
                    action("google:2sv", "Turn off backup codes", "cut", "ok"),
                    action(
                        "google:group:eng@example.org",
                        "Remove from group eng@example.org (role MEMBER)",
                        "clean",
                        "failed",
                        attempts=3,
                        last_error="HTTP 503 from groups API",
                    ),
                ],
            },
            {
                "name": "manual",
                "title": "Manual steps",
                "account": None,
                "note": None,
                "actions": [action("manual:bank", "Remove Bob as a bank signer", "manual", "manual", attempts=0)],
            },
            {"name": "slack", "title": "Slack", "account": None, "note": "not configured: skipped", "actions": []},
        ],
        "confirmations": [],
        "findings": [],
    }
    base.update(changes)
    return base


def action(id: str, summary: str, phase: str, state: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": id,
        "summary": summary,
        "phase": phase,
        "reversible": phase == "clean",
        "before": extra.get("before"),
        "after": extra.get("after"),
        "state": state,
        "detail": extra.get("detail", ""),
        "attempts": extra.get("attempts", 1),
        "last_error": extra.get("last_error"),
        "started": "2026-11-24T10:00:01Z",
        "finished": "2026-11-24T10:00:02Z",
    }


@pytest.fixture
def make_ledger(tmp_path: Path, signers: dict[str, FileKeySigner]) -> Callable[[int], Path]:
    """A reports directory holding ``count`` reports signed with the Ed25519 test key."""

    def make(count: int) -> Path:
        ledger = Ledger(tmp_path / "reports")
        for number in range(count):
            ledger.append(document(run_id=f"run-{number}"), signers["ed25519"])
        return ledger.directory

    return make
