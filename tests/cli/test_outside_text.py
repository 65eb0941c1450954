"""Text from outside (names, labels, services' answers) is shown as text: never obeyed by the terminal, never markup."""

from __future__ import annotations

import io
import re
import stat
from pathlib import Path

import pytest
from rich.console import Console

from offboard.spi import Member

CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # any but the newline
ERASE = "\x1b[1A\x1b[2K"  # cursor up, erase the line: would hide the line above
LINK = "\x1b]8;;https://evil.test\x07click\x1b]8;;\x07"  # an OSC 8 hyperlink
MARKUP = "[link=https://evil.test]click[/link]"


def roster_with(org, member_id: str, name: str) -> None:
    org.write("roster.csv", (org.root / "roster.csv").read_text() + f"{member_id},{name},zed@example.org,zed@home.test,active\n")


def test_escape_sequences_in_a_group_name_are_shown_not_obeyed(org, cli):
    org.fake.add_user("bob@example.org", ["session", f"group:eng{ERASE}", f"group:{LINK}", f"group:{MARKUP}",
                                          "group:rtl\u202eevil"])
    code, out, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert (code, err) == (0, "")
    assert not CONTROL.search(out)
    assert "    - Remove from eng\\x1b[1A\\x1b[2K [can be undone]\n" in out
    assert "    - Remove from \\x1b]8;;https://evil.test\\x07click\\x1b]8;;\\x07 [can be undone]\n" in out
    assert f"    - Remove from {MARKUP} [can be undone]\n" in out
    assert "    - Remove from rtl\\u202eevil [can be undone]\n" in out


def test_markup_in_a_roster_name_is_printed_literally(org, cli):
    roster_with(org, "m050", MARKUP)
    org.fake.add_user("zed@example.org", ["session"])
    code, out, err = cli("expel", "m050", "--playbook", "test", "--dry-run")
    assert (code, err) == (0, "")
    assert out.startswith(f"Plan: expel m050 {MARKUP} <zed@example.org>\n")
    assert f"\nbank - Bank account ({MARKUP})\n" in out


def test_a_member_whose_name_looks_like_markup_is_expelled_cleanly(org, cli):
    roster_with(org, "m051", "Zed [/b] Doe")
    org.fake.add_user("zed@example.org", ["session", "active"])
    code, out, err = cli("expel", "m051", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3, err  # as for anyone: the manual step waits on a person
    assert "Traceback" not in err and "MarkupError" not in err
    assert sorted(org.fake.effects) == ["fake:session", "fake:suspend"]
    assert out.startswith("Plan: expel m051 Zed [/b] Doe <zed@example.org>\n")
    assert "\nbank - Bank account (Zed [/b] Doe)\n" in out
    assert re.search(r"\nRun \S+: expel m051 Zed \[/b\] Doe\n", out)
    code, out, _ = cli("status", out.split("\nRun ")[1].split(":")[0])
    assert code == 3 and ": expel m051 Zed [/b] Doe, by carol, status incomplete\n" in out


def test_an_escape_sequence_in_an_error_message_is_shown_escaped(org, cli):
    code, out, err = cli("expel", f"zz{ERASE}", "--playbook", "test", "--dry-run")
    assert (code, out) == (1, "")
    assert err.startswith("Error: ") and err.endswith("\n") and err.count("\n") == 1
    assert not CONTROL.search(err) and "zz\\x1b[1A\\x1b[2K" in err


def test_notes_show_control_characters_escaped_and_keep_their_own_lines():
    from offboard.cli.prompts import TerminalInteraction

    out, err = io.StringIO(), io.StringIO()
    ui = TerminalInteraction(Console(file=out), Console(file=err, soft_wrap=True))
    ui.note(f"\nNote: run r1 for {MARKUP}{ERASE} :warning: waits\n")
    assert err.getvalue() == f"\nNote: run r1 for {MARKUP}\\x1b[1A\\x1b[2K :warning: waits\n\n"


# ---------------------------------------------------------------- a Google app password, through the real connector


@pytest.fixture
def google(org, tmp_path: Path):
    from offboard.connectors.google_workspace.emulator import start_sandbox

    sandbox = start_sandbox("example.org", [Member("m042", "Bob Example", "bob@example.org", "bob@home.test")], tmp_path)
    table = "".join(f"{k} = {str(v).lower() if isinstance(v, bool) else repr(v)}\n"
                    for k, v in sandbox.config.items() if k != "transfer_to")
    org.write("offboard.toml", (org.root / "offboard.toml").read_text() + "\n[connectors.google]\n" + table)
    org.write("playbooks/google.yaml", "name: google\nsteps:\n  - connector: google\n")
    try:
        yield sandbox.emulator
    finally:
        sandbox.stop()


def test_an_app_password_named_with_escape_sequences_is_shown_escaped(org, cli, google):
    with google.lock:
        google.workspace.add_asp("bob@example.org", f"Mail{ERASE}{LINK}")
        google.workspace.add_asp("bob@example.org", MARKUP)
    code, out, err = cli("expel", "m042", "--playbook", "google", "--dry-run")
    assert (code, err) == (0, "")
    assert not CONTROL.search(out)
    assert ("    - Delete app password Mail\\x1b[1A\\x1b[2K\\x1b]8;;https://evil.test\\x07click\\x1b]8;;\\x07 "
            "[cannot be undone]\n") in out
    assert f"    - Delete app password {MARKUP} [cannot be undone]\n" in out


# ---------------------------------------------------------------- a bug: one line, and a file for the bug report


@pytest.fixture
def buggy_status(org, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``offboard status`` hits a bug once the session is open; returns where its crash file goes."""
    from offboard import operations

    def status(session, run_id):
        return {}["no such key"]

    monkeypatch.setattr(operations, "status", status)
    monkeypatch.setenv("XDG_STATE_HOME", str(org.root / "state-home"))
    (org.root / ".offboard").mkdir(mode=0o700)  # as any run leaves it
    return org.root / ".offboard" / "crashes"


def crash_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("crash-*.txt"))


def test_a_bug_is_one_error_line_naming_the_file_that_holds_the_traceback(cli, buggy_status):
    code, out, err = cli("status")
    [path] = crash_files(buggy_status)
    assert (code, out) == (1, "")
    assert err == (f"Error: offboard hit a bug (KeyError: 'no such key'); details are in {path}: "
                   "please attach that file to a bug report\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    details = path.read_text()
    assert details.startswith("offboard ") and "hit a bug in `offboard status`" in details
    assert "Traceback (most recent call last):" in details and "KeyError: 'no such key'" in details


def test_with_debug_the_traceback_is_printed_too(cli, buggy_status):
    code, out, err = cli("--debug", "status")
    [path] = crash_files(buggy_status)
    assert (code, out) == (1, "")
    assert err.startswith("Traceback (most recent call last):\n")
    assert err.endswith(f"KeyError: 'no such key'\nError: offboard hit a bug (KeyError: 'no such key'); details are in "
                        f"{path}: please attach that file to a bug report\n")


def test_the_error_line_shows_the_bugs_message_escaped(cli, buggy_status, monkeypatch):
    from offboard import operations

    def status(session, run_id):
        raise RuntimeError(f"bad\n{ERASE}")

    monkeypatch.setattr(operations, "status", status)
    code, _, err = cli("status")
    [path] = crash_files(buggy_status)
    assert code == 1
    assert err == (f"Error: offboard hit a bug (RuntimeError: bad\\n\\x1b[1A\\x1b[2K); details are in {path}: "
                   "please attach that file to a bug report\n")


def test_without_a_state_folder_the_crash_file_goes_to_the_users_state_home(org, cli, monkeypatch):
    from offboard import operations

    def installed_connectors():
        raise ValueError("boom")

    monkeypatch.setattr(operations, "installed_connectors", installed_connectors)
    monkeypatch.setenv("XDG_STATE_HOME", str(org.root / "state-home"))
    code, out, err = cli("connectors")
    [path] = crash_files(org.root / "state-home" / "offboard")
    assert (code, out) == (1, "")
    assert err == f"Error: offboard hit a bug (ValueError: boom); details are in {path}: please attach that file to a bug report\n"
    assert not (org.root / ".offboard").exists()
