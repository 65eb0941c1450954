"""A sample org with [approvals]: three approvers with their own keys, an outsider's key, and a saved plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard.report.signing.keys import FileKeySigner, GeneratedKey, generate_key
from tests.report.conftest import agent_socket  # noqa: F401  (a fixture: a real ssh-agent)

APPROVALS = """
[approvals]
required = 2
approvers = "keys/approvers"
"""
NAMESPACE = "offboard-approval@example.org"
PEOPLE = ("alice", "bob", "dana", "eve")  # eve is nobody's approver


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedKey]:
    """Each person's own Ed25519 key, made once for the whole session (outside any org)."""
    folder = tmp_path_factory.mktemp("approver-keys")
    return {name: generate_key(folder / name, f"{name}@example.org") for name in PEOPLE}


def signer(keys: dict[str, GeneratedKey], name: str) -> FileKeySigner:
    return FileKeySigner.from_file(keys[name].private_path, lambda: "")


def approvers_text(keys: dict[str, GeneratedKey]) -> str:
    """alice and dana plain, bob restricted to the approvals namespace; eve is not listed."""
    return (f"alice@example.org {keys['alice'].public_key_line}\n"
            f'bob@example.org namespaces="{NAMESPACE}" {keys["bob"].public_key_line}\n'
            f"dana@example.org {keys['dana'].public_key_line}\n")


@pytest.fixture
def approving(org, cli, keys, monkeypatch):
    """The org with [approvals] required = 2, its approvers file, and plan.json saved for m042."""
    monkeypatch.delenv("OFFBOARD_APPROVER_KEY", raising=False)
    with (org.root / "offboard.toml").open("a") as handle:
        handle.write(APPROVALS)
    org.write("keys/approvers", approvers_text(keys))
    code, _, err = cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    assert code == 0, err
    return org


def key_of(keys: dict[str, GeneratedKey], name: str) -> str:
    return str(keys[name].private_path)


def folder(org) -> Path:
    return org.root / "plan.json.approvals"
