"""Private state files, and a README that documents every command and connector."""

from __future__ import annotations

import stat
from pathlib import Path

from offboard.apply.engine import Engine
from offboard.apply.journal import Journal
from offboard.apply.retry import RetryPolicy
from offboard.cli.app import app
from offboard.spi import Action, Phase, registry
from tests.fakes import FakeConnector

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_files_are_private(org, cli):
    cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    state = org.root / ".offboard"
    assert mode(state) == 0o700
    for name in ("journal.sqlite3", "journal.sqlite3-wal"):
        assert mode(state / name) == 0o600, name
    assert mode(state / "locks" / "member-m042.lock") == 0o600


def test_every_command_is_in_the_readme():
    from typer.main import get_command

    names = sorted(get_command(app).commands)  # type: ignore[attr-defined]
    missing = [name for name in names if f"`offboard {name}" not in README]
    assert names and not missing, f"commands missing from the README: {missing}"


def test_every_builtin_connector_is_in_the_readme():
    missing = [name for name in registry.available() if name != "manual" and f"[connectors.{name}]" not in README]
    assert not missing, f"connectors missing from the README: {missing}"


def test_a_dependency_cycle_is_skipped_not_hung(tmp_path, org):
    journal = Journal(tmp_path / "j.sqlite3")
    a = Action("fake:a", "fake", "x", "A", Phase.CUT, True, depends_on=("fake:b",))
    b = Action("fake:b", "fake", "x", "B", Phase.CUT, True, depends_on=("fake:a",))
    journal.create_run("r1", "expel", "m042", "Bob", "carol", {}, [("fake", a), ("fake", b)])
    connector = FakeConnector.__new__(FakeConnector)
    Engine(journal, {"fake": connector}, RetryPolicy()).execute("r1")
    assert [(r.state, r.detail) for r in journal.actions("r1")] == [("skipped", "dependency cycle in the plan")] * 2
