"""The state folder is the user's alone, and its lock and journal files are never opened through a link."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from offboard.apply.journal import Journal
from offboard.apply.locking import hold
from offboard.errors import ConfigurationError


def expel(cli):
    return cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")


def state_of(org) -> Path:
    state = org.root / ".offboard"
    (state / "locks").mkdir(parents=True, mode=0o700)
    (state / "reports").mkdir(mode=0o700)
    return state


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize("folder", [".", "locks", "reports"])
def test_a_state_folder_others_may_write_to_is_refused(org, cli, folder: str) -> None:
    state = state_of(org)
    target = (state / folder).resolve()
    target.chmod(0o777)
    before = files_in(state)
    assert expel(cli) == (1, "", f"Error: state folder {target if folder != '.' else state} is writable by others "
                                 f"(mode 0777): run chmod 700 {target if folder != '.' else state}\n")
    assert org.fake.writes == 0
    assert files_in(state) == before  # no journal, no lock, no report


def test_a_group_writable_state_folder_is_refused_too(org, cli) -> None:
    state = state_of(org)
    state.chmod(0o770)
    assert expel(cli) == (1, "", f"Error: state folder {state} is writable by others (mode 0770): run chmod 700 {state}\n")


def test_a_state_folder_others_may_read_is_accepted(org, cli) -> None:
    state = state_of(org)
    state.chmod(0o755)
    code, _out, err = expel(cli)
    assert (code, err) == (3, "")  # done, waiting on the bank's manual step
    assert org.fake.writes > 0


def test_a_state_folder_of_another_user_is_refused(org, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    state = state_of(org)
    owner = state.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: owner + 1)  # as if someone else ran offboard
    assert expel(cli) == (1, "", f"Error: state folder {state} is owned by uid {owner}, not you (uid {owner + 1}): run "
                                 "offboard as its owner, or point [state] dir at a folder of your own\n")
    assert org.fake.writes == 0


def test_status_checks_the_state_folder_before_opening_the_journal(org, cli) -> None:
    state = state_of(org)
    state.chmod(0o777)
    assert cli("status") == (1, "", f"Error: state folder {state} is writable by others (mode 0777): run chmod 700 {state}\n")
    assert not (state / "journal.sqlite3").exists()


# ---------------------------------------------------------------- no link is followed


def test_a_symlinked_lock_file_is_refused_and_its_target_untouched(org, cli) -> None:
    state = state_of(org)
    target = org.root / "precious.txt"
    target.write_text("keep me\n")
    target.chmod(0o644)
    link = state / "locks" / "member-m042.lock"
    link.symlink_to(target)
    assert expel(cli) == (1, "", f"Error: lock file {link} is a symbolic link: offboard opens no link in its state "
                                 f"folder; remove it (rm {link}) and try again\n")
    assert target.read_text() == "keep me\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert org.fake.writes == 0


def test_a_dangling_symlinked_lock_file_creates_nothing(org, cli) -> None:
    state = state_of(org)
    target = org.root / "created-through-the-link"
    link = state / "locks" / "audit.lock"
    link.symlink_to(target)
    assert cli("audit", "--unsigned") == (1, "", f"Error: lock file {link} is a symbolic link: offboard opens no link in "
                                                 f"its state folder; remove it (rm {link}) and try again\n")
    assert not target.exists()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_a_symlinked_journal_is_refused(org, cli, suffix: str) -> None:
    state = state_of(org)
    target = org.root / f"elsewhere.sqlite3{suffix}"
    target.write_bytes(b"")
    link = state / f"journal.sqlite3{suffix}"
    link.symlink_to(target)
    assert cli("status") == (1, "", f"Error: journal file {link} is a symbolic link: offboard opens no link in its state "
                                    "folder; put the file itself there, or point [state] dir at the folder that holds it\n")
    assert target.read_bytes() == b""


def test_a_symlinked_journal_is_refused_by_the_journal_itself(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "state" / "journal.sqlite3").symlink_to(target)
    with pytest.raises(ConfigurationError, match="is a symbolic link"):
        Journal(tmp_path / "state" / "journal.sqlite3")
    assert not target.exists()


@pytest.mark.parametrize("name", ["member-m9/../../x", "../audit", ".hidden", ""])
def test_a_lock_name_that_is_not_a_file_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigurationError, match="cannot be a file name"), hold(tmp_path / "state", name, "a run"):
        pass
    assert not (tmp_path / "state").exists()
