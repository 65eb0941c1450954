"""Steps a system closes itself (done by a person in its own pages) are closed by `status` and `resume`."""

from __future__ import annotations

import json

import pytest

ACCESS = ["session", "active", "ui-only", "group:eng"]


@pytest.fixture
def waiting_run(org, cli) -> str:
    org.fake.add_user("bob@example.org", ACCESS)
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    assert code == 3
    document = json.loads(out)
    assert {m["step"] for m in document["manual"]} == {"fake:ui-only", "bank:remove-signer"}
    return document["run_id"]


def turn_off_by_hand(org) -> None:
    org.fake.add_user("bob@example.org", ["group:none-left"])  # the admin did it in the system's pages


@pytest.mark.parametrize("command", [["resume"], ["status"]])
def test_resume_or_status_without_a_run_close_what_the_system_shows_done(org, cli, waiting_run, command):
    turn_off_by_hand(org)
    code, out, err = cli(*command)
    assert (code, err) == (0, "")
    assert f"Run {waiting_run}: 1 step(s) its systems now show done were closed" in out
    _, detail, _ = cli("status", waiting_run, "--json")
    states = {a["id"]: (a["state"], a["detail"]) for a in json.loads(detail)["actions"]}
    assert states["fake:ui-only"] == ("changed", "done by a person; confirmed by the system")
    assert states["bank:remove-signer"][0] == "manual"
    reports = sorted(p.name for p in (org.root / ".offboard" / "reports").glob("*.json"))
    assert reports == ["000001-m042-expel.json", "000002-m042-expel.json"]  # the closing is on record


def test_nothing_is_closed_while_the_system_does_not_show_it_done(org, cli, waiting_run):
    code, out, _ = cli("resume")
    assert code == 0 and "were closed" not in out
    assert len(list((org.root / ".offboard" / "reports").glob("*.json"))) == 1
