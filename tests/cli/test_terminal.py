"""At a terminal: colour that means something (never with NO_COLOR, never in a file), one count line at the end
of a plan and of a run, a live line on stderr while systems are read and a run applies, and the moment access
was cut."""

from __future__ import annotations

import re
import time

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")  # a foreground colour; bold alone is not one


def plain(text: str) -> str:
    return ANSI.sub("", text)


def clock_at(seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(seconds))


def test_the_plan_colours_what_changes_what_cannot_be_undone_and_what_waits_on_a_person(org, cli, screen):
    shown = screen()
    assert cli("expel", "m042", "--playbook", "test", "--dry-run")[0] == 0
    out = shown.out.getvalue()
    assert "\x1b[36msigned in → signed out\x1b[0m" in out  # what changes: cyan
    assert "\x1b[1;35m [cannot be undone]\x1b[0m" in out  # cannot be undone: bold magenta
    assert "\x1b[33mRemove the member as signer\x1b[0m" in out  # a step for a person: yellow
    assert plain(out).endswith("Plan: 5 changes (1 cannot be undone), 1 step for a person.\nDry run: nothing was changed.\n")


def test_the_run_colours_done_failed_and_waiting(org, cli, screen):
    org.fake.fault("fake:group:eng", "fatal")
    shown = screen()
    assert cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")[0] == 2
    out = shown.out.getvalue()
    assert "\x1b[32m4 changed\x1b[0m, \x1b[31m1 failed\x1b[0m" in out
    assert "\x1b[31mFailed:\x1b[0m" in out and "\x1b[33mWaiting on a person:\x1b[0m" in out
    assert "\x1b[31mStatus: FAILED.\x1b[0m" in out
    assert plain(out).endswith("Done: 4 changed, 1 failed, 1 waiting on a person.\n")


def test_no_color_keeps_the_terminal_plain(org, cli, screen, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    shown = screen()
    cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert not COLOUR.search(shown.out.getvalue() + shown.err.getvalue())
    assert "Done: 5 changed, 0 failed, 1 waiting on a person.\n" in plain(shown.out.getvalue())


def test_output_to_a_file_has_no_escape_codes(org, cli):
    code, out, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3 and not ANSI.search(out + err)


def test_count_lines_say_one_and_many_and_what_was_left_out(org, cli):
    org.fake.add_user("rob@example.org", ["group:eng"])
    org.write("playbooks/small.yaml", "name: small\nsteps:\n  - connector: fake\n  - connector: manual\n    system: bank\n"
              "    steps:\n      - {id: remove-signer, title: Remove the member as signer}\n")
    _, out, _ = cli("expel", "m043", "--playbook", "small", "--dry-run")
    assert out.endswith("Plan: 1 change, 1 step for a person.\nDry run: nothing was changed.\n")
    code, out, _ = cli("expel", "m043", "--playbook", "small", "--yes", "--unsigned")
    assert code == 3 and out.endswith("Done: 1 changed, 0 failed, 1 waiting on a person.\n")
    org.write("offboard.toml", (org.root / "offboard.toml").read_text().split("[connectors.fake]")[0])
    _, out, _ = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert out.endswith("Plan: 0 changes, 1 step for a person, 1 system not configured.\nDry run: nothing was changed.\n")


# ---------------------------------------------------------------- the live line and the moment of the cut


def test_a_live_line_shows_the_reading_and_the_applying_and_the_cut_is_timed(org, cli, screen, ticking):
    ticking(1_000.0, 0.4)
    shown = screen()
    code, out, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert (code, out, err) == (3, "", "")  # all of it went to the terminal
    live = plain(shown.err.getvalue())
    assert "reading fake… (1 of 2 systems read)" in live or "reading bank… (1 of 2 systems read)" in live
    assert "applying: 6 of 6 done" in live
    assert f"Access cut at {clock_at(1_000.4)} (0.4 s after the run started).\n" in live
    assert "Access cut" not in plain(shown.out.getvalue())  # stdout stays the result


def test_the_cut_is_timed_from_the_moment_the_person_confirmed(org, cli, screen, ticking, typed):
    ticking(1_000.0, 1.5)
    typed("m042")
    shown = screen()
    assert cli("expel", "m042", "--playbook", "test", "--unsigned")[0] == 3
    assert f"Access cut at {clock_at(1_001.5)} (1.5 s after you confirmed).\n" in plain(shown.err.getvalue())


def test_a_cut_that_failed_is_not_called_a_cut(org, cli, screen, ticking):
    ticking(1_000.0, 0.4)
    org.fake.fault("fake:session", "fatal")
    shown = screen()
    assert cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")[0] == 2
    err = plain(shown.err.getvalue())
    assert "Access not cut everywhere: 1 cut action did not succeed (see the run below).\n" in err
    assert "Access cut at" not in err


@pytest.mark.parametrize("json", [True, False])
def test_no_live_line_with_json_or_off_a_terminal(org, cli, screen, json):
    if json:
        shown = screen()
        cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
        assert shown.err.getvalue() == ""
    else:
        code, _, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
        assert (code, err) == (3, "")


def test_durations_read_as_seconds_then_minutes():
    from offboard.cli.live import elapsed

    assert [elapsed(s) for s in (0.04, 1.26, 59.9, 125.4)] == ["0.0 s", "1.3 s", "59.9 s", "2 min 5 s"]
