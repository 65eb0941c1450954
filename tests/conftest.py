"""Shared fixtures: a sample org on disk, wired to the fake connector, with sleeps recorded."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.fakes import FakeSystem, register_fake

CONFIG = """\
[org]
name = "Example Org"
domain = "example.org"

[roster]
path = "roster.csv"

[connectors.fake]
state_file = "fake.json"
"""

ROSTER = """\
id,name,email,personal_email,status
m001,Alice Admin,alice@example.org,alice@home.test,active
m042,Bob Example,bob@example.org,bob@home.test,active
m043,Rob Other,rob@example.org,shared@home.test,active
m044,Robin Other,robin@example.org,shared@home.test,active
"""

PLAYBOOK = """\
name: test
description: the fake system and one manual step
steps:
  - connector: fake
  - connector: manual
    system: bank
    title: Bank account
    steps:
      - id: remove-signer
        title: Remove the member as signer
        evidence: [bank confirmation]
        second_confirmer: true
"""


class Org:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.fake = FakeSystem(root / "fake.json")

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path


@pytest.fixture(autouse=True)
def _crash_files_stay_in_the_test(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug hit by a test writes its crash file under the test's temp folder, never the home folder."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("xdg-state")))


@pytest.fixture
def sleeps(recorded_sleeps: list[float]) -> list[float]:
    """Every wait the engine asks for, recorded instead of slept (the offboard[testing] plugin's fixture)."""
    return recorded_sleeps


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Org:
    register_fake(monkeypatch)
    monkeypatch.chdir(tmp_path)
    for var in ("OFFBOARD_CONFIG", "OFFBOARD_STATE_DIR", "OFFBOARD_DEBUG", "SSH_AUTH_SOCK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OFFBOARD_OPERATOR", "carol")
    o = Org(tmp_path)
    o.write("offboard.toml", CONFIG)
    o.write("roster.csv", ROSTER)
    o.write("playbooks/test.yaml", PLAYBOOK)
    o.fake.add_user("bob@example.org", ["session", "active", "group:eng", "group:board", "group:all"])
    o.fake.add_user("alice@example.org", ["session", "active", "group:all"])
    return o


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    from offboard.cli import run

    def invoke(*args: str) -> tuple[int, str, str]:
        code = run(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def environ_for_subprocess(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OFFBOARD_")}
    env["OFFBOARD_OPERATOR"] = "carol"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env


class ScriptedKeyboard:
    """A person at the terminal who types the given answers, in order; ``asked`` records the questions."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def present(self) -> bool:
        return True

    def answer(self, question: str) -> str:
        self.asked.append(question)
        return self.answers.pop(0) if self.answers else ""


@pytest.fixture
def typed(monkeypatch):
    """``typed("m042")``: the CLI's prompts get these answers as if typed; returns the questions asked."""
    from offboard.cli import prompts

    def script(*answers: str) -> list[str]:
        keyboard = ScriptedKeyboard(list(answers))
        monkeypatch.setattr(prompts, "keyboard", keyboard)
        return keyboard.asked

    return script


@pytest.fixture
def session(org: Org):
    """The library's view of the sample org: what the CLI's commands open."""
    from offboard.operations import Session

    with Session.open(str(org.root / "offboard.toml")) as opened:
        yield opened


def sha256_of(path: Path) -> str:
    """A file's SHA-256, as plans and reports name playbooks and evidence."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()
