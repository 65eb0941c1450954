"""Manual steps: evidence, a second confirmer, not applicable, and the run becoming complete."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest


@pytest.fixture
def run_id(org, cli) -> str:
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    assert code == 3
    return json.loads(out)["run_id"]


def test_a_step_that_needs_evidence_refuses_a_bare_confirmation(cli, run_id):
    assert cli("confirm", run_id, "remove-signer", "--by", "Dana") == (
        1, "", "Error: step bank:remove-signer needs evidence (bank confirmation): pass --evidence FILE or --reference TEXT\n")


def test_two_people_close_a_step_that_needs_a_second_confirmer(org, cli, run_id):
    letter = org.write("letter.pdf", "the bank's letter")
    code, out, _ = cli("confirm", run_id, "bank:remove-signer", "--by", "Dana", "--evidence", str(letter))
    assert (code, out) == (3, f"Recorded: bank:remove-signer confirmed by Dana. It needs a second confirmer: offboard confirm "
                              f"{run_id} bank:remove-signer --by OTHER-NAME\n")
    assert cli("confirm", run_id, "remove-signer", "--by", "dana", "--reference", "CASE-1")[2] == (
        "Error: dana already confirmed step bank:remove-signer: a second, different person must confirm it\n")
    code, out, _ = cli("confirm", run_id, "remove-signer", "--by", "Eve", "--reference", "CASE-1")
    assert code == 0
    assert out.startswith(f"Recorded: bank:remove-signer is closed. Run {run_id} is now complete.\nReport: ")
    report = json.loads(Path(out.split("Report: ")[1].strip()).read_text())
    assert report["status"] == "complete" and report["seq"] == 2
    assert report["confirmations"][0]["evidence"] == [
        {"name": "letter.pdf", "sha256": hashlib.sha256(b"the bank's letter").hexdigest()}]
    assert cli("status", run_id)[0] == 0


def test_not_applicable_needs_a_reason(cli, run_id):
    assert cli("confirm", run_id, "remove-signer", "--by", "Dana", "--not-applicable")[2] == (
        "Error: --not-applicable needs --reason TEXT saying why the step does not apply\n")


def test_not_applicable_with_a_reason_skips_the_step(cli, run_id):
    cli("confirm", run_id, "remove-signer", "--by", "Dana", "--not-applicable", "--reason", "never a signer")
    code, out, _ = cli("confirm", run_id, "remove-signer", "--by", "Eve", "--not-applicable", "--reason", "never a signer")
    assert code == 0
    _, out, _ = cli("status", run_id, "--json")
    step = next(a for a in json.loads(out)["actions"] if a["id"] == "bank:remove-signer")
    assert (step["state"], step["detail"]) == ("skipped", "not applicable: never a signer (by Dana and Eve)")


def test_unknown_step_lists_the_manual_ones(cli, run_id):
    assert cli("confirm", run_id, "nosuch", "--by", "Dana")[2] == (
        "Error: no step 'nosuch' in this run (manual steps: bank:remove-signer)\n")


def test_missing_evidence_file(cli, run_id):
    assert cli("confirm", run_id, "remove-signer", "--by", "Dana", "--evidence", "nope.pdf")[2] == (
        "Error: evidence file nope.pdf does not exist: check the path\n")


def test_unknown_run(cli, run_id):
    assert cli("confirm", "nosuch", "remove-signer", "--by", "Dana")[2] == (
        "Error: no run 'nosuch': list runs with `offboard status`\n")


def test_status_lists_what_waits_on_a_person_first(cli, run_id):
    code, out, _ = cli("status", run_id)
    assert code == 3
    assert out.startswith("Waiting on a person:\n  bank:remove-signer: Remove the member as signer (needs confirmation by two people)\n")


def test_expel_again_mentions_the_run_still_waiting_on_people(org, cli, run_id):
    code, _, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert code == 0
    assert err == f"Note: run {run_id} for m042 still waits on 1 manual step(s): offboard status {run_id}\n"


def test_the_second_confirmers_command_works_as_printed(org, cli, run_id):
    letter = org.write("letter.pdf", "the bank's letter")
    _, out, _ = cli("confirm", run_id, "bank:remove-signer", "--by", "Dana", "--evidence", str(letter))
    printed = out.split("It needs a second confirmer: ")[1].split()
    assert printed[:2] == ["offboard", "confirm"]
    code, out, err = cli(*["Eve" if word == "OTHER-NAME" else word for word in printed[1:]])
    assert (code, err) == (0, "")
    assert out.startswith(f"Recorded: bank:remove-signer is closed. Run {run_id} is now complete.\n")


def test_a_step_marked_not_applicable_is_confirmed_as_not_applicable_never_done(cli, run_id):
    cli("confirm", run_id, "remove-signer", "--by", "Dana", "--not-applicable", "--reason", "never a signer")
    code, _, err = cli("confirm", run_id, "remove-signer", "--by", "Eve")
    assert (code, err) == (0, "")
    _, out, _ = cli("status", run_id, "--json")
    step = next(a for a in json.loads(out)["actions"] if a["id"] == "bank:remove-signer")
    assert (step["state"], step["detail"]) == ("skipped", "not applicable: never a signer (by Dana and Eve)")


def test_status_without_a_run_shows_what_each_unfinished_run_waits_on(cli, run_id):
    code, out, _ = cli("status")
    assert code == 0
    assert out.startswith(
        f"Run {run_id} (expel m042 Bob Example) is incomplete:\n"
        f"  offboard confirm {run_id} bank:remove-signer --by NAME --reference TEXT  # Remove the member as signer "
        "(needs confirmation by two people)\n\n")


def test_status_takes_a_member_as_well_as_a_run(cli, run_id):
    code, out, _ = cli("status", "bob@example.org")
    assert code == 0 and f"{run_id}  expel    m042       incomplete" in out
    assert cli("status", "nobody") == (1, "", "Error: no run and no member 'nobody': list runs with `offboard status`\n")


def test_confirm_waits_for_a_run_of_the_member_going_on_and_status_does_not(org, cli, run_id):
    from offboard.apply.locking import hold

    with hold(org.root / ".offboard", "member-m042", "a run for m042"):
        code, _, err = cli("confirm", run_id, "remove-signer", "--by", "Dana", "--reference", "CASE-1")
        assert code == 1 and err.startswith("Error: a run for m042 is already running")
        code, out, err = cli("status")
        assert (code, err) == (0, "") and f"Run {run_id} (expel m042 Bob Example) is incomplete:" in out
        assert cli("status", run_id)[0] == 3


def test_the_command_status_prints_for_a_step_works_as_printed(cli, run_id):
    _, out, _ = cli("status")
    printed = out.splitlines()[1].split("  # ")[0].split()
    assert printed[:2] == ["offboard", "confirm"]
    code, out, err = cli(*[{"NAME": "Dana", "TEXT": "CASE-1"}.get(word, word) for word in printed[1:]])
    assert (code, err) == (3, "")
    assert out.startswith("Recorded: bank:remove-signer confirmed by Dana. It needs a second confirmer")
