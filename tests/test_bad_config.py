"""A config that cannot be read, or whose state folder cannot be a folder: one line, exit 1, nothing written."""

from __future__ import annotations

import pytest

CONFIG = "[org]\nname = 'Example Org'\ndomain = 'example.org'\n[roster]\npath = 'roster.csv'\n[connectors.fake]\nstate_file = 'fake.json'\n"


@pytest.fixture(autouse=True)
def nothing_is_ever_written(org):
    yield
    assert org.fake.writes == 0
    assert not (org.root / ".offboard").is_dir()


def expel(cli):
    return cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")


def test_config_that_is_not_utf8_names_the_line(org, cli):
    (org.root / "offboard.toml").write_bytes(b"[org]\nname = 'Caf\xe9 Org'\ndomain = 'example.org'\n")
    assert expel(cli) == (1, "", f"Error: {org.root}/offboard.toml:2: not UTF-8 text (byte 0xe9): save it as UTF-8 and try again\n")


def test_state_dir_naming_a_file(org, cli):
    org.write("notes.txt", "not a folder\n")
    org.write("offboard.toml", CONFIG + "[state]\ndir = 'notes.txt'\n")
    assert expel(cli) == (1, "", f"Error: {org.root}/offboard.toml: [state] dir 'notes.txt' is a file, not a folder; "
                                 "point [state] dir at a folder (it is created if missing)\n")
    assert (org.root / "notes.txt").read_text() == "not a folder\n"


def test_default_state_dir_taken_by_a_file(org, cli):
    org.write(".offboard", "")
    assert expel(cli) == (1, "", f"Error: {org.root}/offboard.toml: [state] dir '.offboard' is a file, not a folder; "
                                 "point [state] dir at a folder (it is created if missing)\n")
    assert (org.root / ".offboard").read_text() == ""


def test_state_dir_inside_a_file(org, cli):
    org.write("offboard.toml", CONFIG + "[state]\ndir = 'roster.csv/state'\n")
    assert expel(cli) == (1, "", f"Error: {org.root}/offboard.toml: [state] dir 'roster.csv/state' cannot be a folder: "
                                 f"{org.root}/roster.csv is a file, not a folder; point [state] dir at a folder (it is "
                                 "created if missing)\n")


def test_state_dir_from_the_environment_naming_a_file(org, cli, monkeypatch):
    org.write("notes.txt", "")
    monkeypatch.setenv("OFFBOARD_STATE_DIR", str(org.root / "notes.txt"))
    assert expel(cli) == (1, "", f"Error: {org.root}/offboard.toml: $OFFBOARD_STATE_DIR '{org.root}/notes.txt' is a file, not "
                                 "a folder; point $OFFBOARD_STATE_DIR at a folder (it is created if missing)\n")
