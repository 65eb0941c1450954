"""``offboard demo`` runs the operation ``offboard expel --yes`` runs, with the same request, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard import operations
from offboard.errors import Aborted
from offboard.operations import ExpelRequest


@pytest.fixture
def expel_requests(monkeypatch):
    """Every request ``operations.expel`` is called with; the calls go through."""
    seen: list[ExpelRequest] = []
    real = operations.expel

    def spy(session, request, ui=None):
        seen.append(request)
        return real(session, request, ui)

    monkeypatch.setattr(operations, "expel", spy)
    return seen


def test_the_demo_expels_through_the_operation_expel_yes_calls(tmp_path, monkeypatch, cli, expel_requests):
    monkeypatch.setenv("OFFBOARD_OPERATOR", "someone")  # the demo says who runs it: "demo"
    code, _, err = cli("demo", "--keep", str(tmp_path / "demo"))
    assert (code, err) == (0, "")
    demo_calls = list(expel_requests)
    assert demo_calls == [ExpelRequest("m042", dry_run=True), ExpelRequest("m042", yes=True)]

    expel_requests.clear()

    def stop(session, request, ui=None):  # what `offboard expel m042 --yes` asks for, without running it again
        expel_requests.append(request)
        raise Aborted("stopped by the test")

    monkeypatch.setattr(operations, "expel", stop)
    code, _, _ = cli("expel", "m042", "--yes", "--config", str(tmp_path / "demo" / "offboard.toml"))
    assert code == 1
    assert expel_requests == [demo_calls[1]]


def test_the_demo_shows_the_plan_the_run_and_the_verified_proof(tmp_path, cli, expel_requests):
    kept = tmp_path / "demo"
    code, out, err = cli("demo", "--keep", str(kept))
    assert (code, err) == (0, "")
    assert "Plan: expel m042 Bob Example <bob@example.org>" in out
    assert "Status: INCOMPLETE. The run is complete once every manual step is confirmed." in out
    assert "report(s) verified: signatures good, chain intact." in out
    reports = sorted(p.name for p in (kept / ".offboard" / "reports").glob("*.json"))
    # 000003: the suspension's steps nobody did are no longer needed once the member is back
    assert reports == ["000001-m042-expel.json", "000002-m007-suspend.json", "000003-m007-suspend.json",
                       "000004-m007-reinstate.json"]
    assert "Dry run" not in out  # the dry run is step 1's plan, not a run
    assert "Plan: suspend m007 Dan Treasurer" in out and "Plan: reinstate m007 Dan Treasurer" in out
    assert "Reverses: report 000002 (suspend" in out
    # Open Collective can only invite back: the reinstatement waits on Dan to accept, and says so
    assert "Wait for Dan Treasurer (@dan-treasurer) to accept the invitation to be Administrator" in out
    assert out.count("Status: INCOMPLETE. The run is complete once every manual step is confirmed.") == 3
    assert "4 report(s) verified: signatures good, chain intact." in out
    assert "  .offboard/reports/000001-m042-notice.eml" in out  # the notice the sandbox's Gmail sent
    notice = (kept / ".offboard" / "reports" / "000001-m042-notice.eml").read_text()
    assert "To: Bob Example <bob@mail.test>" in notice and "From: \"Alice Admin" in notice


def test_the_demo_suspends_and_reinstates_through_the_operations_their_commands_call(tmp_path, monkeypatch, cli):
    calls: list[object] = []
    for name in ("suspend", "reinstate"):
        real = getattr(operations, name)
        monkeypatch.setattr(operations, name, lambda session, request, ui=None, real=real: (calls.append(request),
                                                                                             real(session, request, ui))[1])
    code, _, err = cli("demo")
    assert (code, err) == (0, "")
    suspend, reinstate = calls
    assert isinstance(suspend, operations.SuspendRequest) and (suspend.member, suspend.yes) == ("m007", True)
    assert reinstate == operations.ReinstateRequest("m007", yes=True)


def test_the_demo_refuses_a_folder_with_files_and_writes_nothing(tmp_path: Path, cli):
    (tmp_path / "mine.txt").write_text("keep me")
    code, out, err = cli("demo", "--keep", str(tmp_path))
    assert (code, out) == (1, "")
    assert err == f"Error: {tmp_path} is not empty: give --keep a new or empty directory\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


NO_PYTEST = """
import sys

class NoPytest:  # as after `pip install -e .`, without the test extras
    def find_spec(self, name, path=None, target=None):
        if name == "pytest" or name.startswith(("pytest.", "_pytest")):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoPytest())
for name in [m for m in sys.modules if m == "pytest" or m.startswith(("pytest.", "_pytest"))]:
    del sys.modules[name]
from offboard.cli import run
sys.exit(run(["demo"]))
"""


def test_the_demo_runs_where_only_the_package_is_installed(tmp_path):
    import subprocess
    import sys

    from tests.conftest import environ_for_subprocess

    done = subprocess.run([sys.executable, "-c", NO_PYTEST], cwd=tmp_path, env=environ_for_subprocess(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert "report(s) verified: signatures good, chain intact." in done.stdout


def test_serve_keeps_a_fresh_org_up_for_every_command_while_the_person_is_there(tmp_path: Path, cli):
    """`offboard demo --serve DIR`: the env file points a shell at the org, whose emulators answer until it returns."""
    import os
    import shlex

    from offboard.operations.demo import ServedOrg, serve

    seen: dict[str, object] = {}

    def person(org: ServedOrg) -> None:  # what someone does in another terminal before pressing Ctrl-C
        environ = {}
        for line in org.env_file.read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            environ[key] = shlex.split(value)[0]
        seen["mode"] = org.env_file.stat().st_mode & 0o777
        saved = dict(os.environ)
        os.environ.update(environ)
        try:
            seen["doctor"] = cli("doctor")
            seen["dry run"] = cli("expel", "m042", "--dry-run")
        finally:
            os.environ.clear()
            os.environ.update(saved)

    served = serve(tmp_path / "sandbox", person)
    assert seen["mode"] == 0o600
    doctor_code, doctor_out, _ = seen["doctor"]  # type: ignore[misc]
    assert doctor_code == 0, doctor_out
    code, out, _ = seen["dry run"]  # type: ignore[misc]
    assert code == 0 and "Plan: expel m042 Bob Example <bob@example.org>" in out
    assert not (served.root / ".offboard" / "reports").exists() or not any((served.root / ".offboard" / "reports").iterdir())
    assert "google" in served.systems and "slack" in served.systems


def test_serve_and_keep_together_are_refused(tmp_path: Path, cli):
    code, out, err = cli("demo", "--keep", str(tmp_path / "a"), "--serve", str(tmp_path / "b"))
    assert (code, out) == (1, "")
    assert err == "Error: give --keep DIR to look at a finished demo, or --serve DIR to try the commands (not both)\n"
    assert list(tmp_path.iterdir()) == []
