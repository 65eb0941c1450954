"""Saved plans are applied exactly, and refused when the systems changed since."""

from __future__ import annotations

import json

from offboard.apply.locking import hold
from offboard.plans.plan import Plan


def test_a_saved_plan_applies_exactly(org, cli):
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    digest = Plan.load(org.root / "plan.json").digest
    assert code == 0 and out.endswith(f"Plan saved to plan.json ({digest}). Apply it with: offboard apply plan.json\n")
    assert org.fake.writes == 0
    code, out, _ = cli("apply", "plan.json", "--yes", "--unsigned", "--json")
    assert code == 3
    assert json.loads(out)["systems"]["fake"]["counts"] == {"changed": 5}


def test_a_stale_plan_is_refused_with_what_changed(org, cli):
    cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    org.fake.add_user("bob@example.org", ["session", "active", "group:eng", "group:new"])
    code, _out, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert code == 1
    assert err == ("Error: the plan in plan.json is not what the systems show now, nothing was applied: fake: no longer "
                   "needed: Remove from all; fake: no longer needed: Remove from board; fake: new: Remove from new. "
                   "Plan again with: offboard expel m042 --save-plan plan.json\n")
    assert org.fake.writes == 0


def test_a_long_refusal_names_five_differences_and_counts_the_rest(org, cli):
    cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    org.fake.add_user("bob@example.org", ["session", "active", *(f"group:g{i}" for i in range(8))])
    code, _out, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert code == 1
    assert err == ("Error: the plan in plan.json is not what the systems show now, nothing was applied: fake: no longer "
                   "needed: Remove from all; fake: no longer needed: Remove from board; fake: no longer needed: Remove "
                   "from eng; fake: new: Remove from g0; fake: new: Remove from g1; and 6 more. "
                   "Plan again with: offboard expel m042 --save-plan plan.json\n")


def test_a_damaged_plan_file(org, cli):
    org.write("plan.json", "{not json")
    code, _, err = cli("apply", "plan.json", "--yes")
    assert code == 1 and err.startswith("Error: plan file plan.json is not valid JSON (")


def test_one_run_per_member_at_a_time(org, cli):
    with hold(org.root / ".offboard", "member-m042", "a run for m042"):
        code, _, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert code == 1
    assert err.startswith("Error: a run for m042 is already running (process ")
    assert err.endswith("): wait for it to finish, then try again\n")
    assert org.fake.writes == 0


def test_save_plan_into_a_missing_folder_is_refused_before_anything_is_read_or_written(org, cli):
    code, out, err = cli("expel", "m042", "--playbook", "test", "--save-plan", "out/plan.json")
    assert (code, out) == (1, "")
    assert err == ("Error: cannot save the plan to out/plan.json: the folder out does not exist; "
                   "create it (mkdir -p out) or give another path\n")
    assert not (org.root / ".offboard").exists() and org.fake.writes == 0
