"""A system that could not be read is never "nothing to do": the dry run fails, the real run needs --partial."""

from __future__ import annotations

from offboard.apply.journal import Journal

UNREAD = "fake could not be read: environment variable FAKE_TOKEN is not set: export it with the admin token"


def test_the_dry_run_exits_1_naming_the_system_and_the_fix(org, cli):
    org.fake.fault("resolve", "auth")
    code, out, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert code == 1
    assert f"fake - Fake System: {UNREAD.removeprefix('fake ')}" in out
    assert err == ("1 system(s) could not be read (fake): fix what the plan says, or apply with --partial to cut the "
                   "others first.\n")


def test_the_real_run_is_refused_without_partial_and_nothing_is_written(org, cli):
    org.fake.fault("resolve", "auth")
    code, _, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert code == 1
    assert err.endswith(f"Error: {UNREAD}, so nothing was changed. Fix that and run again, or pass --partial to cut the "
                        "systems that could be read now and read the others later with `offboard resume RUN`\n")
    assert org.fake.writes == 0 and not (org.root / ".offboard" / "reports").exists()


def test_with_partial_the_rest_is_cut_and_resume_reads_the_system_once_it_is_fixed(org, cli):
    org.fake.fault("resolve", "auth")
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--partial")
    assert code == 2  # failed: a system was not read, so not touched
    assert "fake: read the current access: could not be read" in out
    assert org.fake.writes == 0
    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    run_id = journal.runs()[0].id
    journal.close()

    code, out, err = cli("resume", run_id)  # asks before applying what it reads only now; no terminal here
    assert (code, err) == (1, "Error: confirmation needed but there is no terminal: review the plan with --dry-run, "
                              "then pass --yes\n")
    code, out, err = cli("resume", run_id, "--yes")  # the token is set now: the fault was consumed
    assert (code, err) == (3, "")  # read, applied; only the bank's manual step waits
    assert sorted(org.fake.effects) == ["fake:group:all", "fake:group:board", "fake:group:eng", "fake:session",
                                        "fake:suspend"]


def test_the_report_says_plainly_which_system_was_not_touched(org, cli):
    org.fake.fault("resolve", "auth")
    _, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--partial")
    report = (org.root / out.split("Report: ")[1].splitlines()[0]).with_suffix(".md").read_text()
    line = next(line for line in report.replace("\\", "").splitlines() if "Fake System" in line and "not touched" in line)
    assert UNREAD.removeprefix('fake ') in line


def partial_run(org, cli) -> str:
    org.fake.fault("resolve", "auth")
    assert cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--partial")[0] == 2
    journal = Journal(org.root / ".offboard" / "journal.sqlite3")
    run_id = journal.runs()[0].id
    journal.close()
    return run_id


def test_resume_never_reads_for_a_roster_entry_changed_since_the_run(org, cli):
    run_id = partial_run(org, cli)
    org.write("roster.csv", (org.root / "roster.csv").read_text().replace(
        "id,name,email,personal_email,status", "id,name,email,personal_email,status,fake").replace(
        "active\n", "active,\n").replace("m042,Bob Example,bob@example.org,bob@home.test,active,",
                                           "m042,Bob Example,bob@example.org,bob@home.test,active,alice@example.org"))
    code, _, err = cli("resume", run_id, "--yes")
    assert (code, err) == (1, f"Error: the roster entry of run {run_id} changed since it was planned, so the systems it "
                              "could not read are not read for it: plan again with: offboard expel m042\n")
    assert org.fake.writes == 0


def test_apply_of_a_saved_plan_with_an_unread_system_needs_partial(org, cli):
    org.fake.fault("resolve", "auth", "auth")
    assert cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")[0] == 1  # saved; the dry run fails
    code, _, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert code == 1 and err.endswith("or pass --partial to cut the systems that could be read now and read the others "
                                      "later with `offboard resume RUN`\n")
    assert org.fake.writes == 0
