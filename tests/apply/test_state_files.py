"""State on disk is private: directories 0700, files 0600, the write-ahead log too."""

from __future__ import annotations

import stat
from pathlib import Path

from offboard.apply.journal import Journal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_files_are_private(org, cli):
    cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    state = org.root / ".offboard"
    assert mode(state / "journal.sqlite3") == 0o600
    assert mode(state / "locks" / "member-m042.lock") == 0o600
    for path in [state, *state.rglob("*")]:
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_the_journal_write_ahead_log_is_private_while_open(tmp_path):
    journal = Journal(tmp_path / "state" / "journal.sqlite3")
    journal.create_run("r1", "expel", "m042", "Bob", "carol", {}, [])
    assert mode(tmp_path / "state" / "journal.sqlite3-wal") == 0o600
    journal.close()
