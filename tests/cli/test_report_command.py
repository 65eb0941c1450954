"""`offboard report RUN`: the run's report verified first, then printed as Markdown or written as an HTML page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offboard.cli import run
from offboard.config import load_config
from offboard.report.ledger import Ledger
from offboard.report.markdown import render
from offboard.report.signing.keys import FileKeySigner, generate_key, load_signer
from tests.report.conftest import document
from tests.report.test_cli import CONFIG

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def report_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`offboard report` as offboard.cli registers it; until its import is added there, for these tests only."""
    from offboard.cli.app import app

    monkeypatch.setattr(app, "registered_commands", list(app.registered_commands))
    from offboard.cli import report_command as module

    if not any(command.callback is module.report for command in app.registered_commands):
        app.command()(module.report)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("OFFBOARD_CONFIG", "OFFBOARD_STATE_DIR", "OFFBOARD_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "offboard.toml").write_text(CONFIG)
    return tmp_path


@pytest.fixture
def reports(workdir: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """Three reports signed by cc@example.org: run-1 (expel), then run-2 twice (a suspension, then its next report)."""
    assert run(["keygen"]) == 0
    config = load_config(str(workdir / "offboard.toml"))
    ledger = Ledger(config.reports_dir)
    signer = load_signer(config)
    suspended = {"kind": "suspend", "suspension": {"until": "2026-12-31", "reason": "probation"}}
    ledger.append(document(run_id="run-1"), signer)
    ledger.append(document(run_id="run-2", **suspended), signer)
    ledger.append(document(run_id="run-2", status="complete", finished="2026-11-25T09:00:00Z", **suspended), signer)
    capsys.readouterr()
    return config.reports_dir


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def doc(reports: Path, name: str) -> dict:
    return json.loads((reports / name).read_text())


def test_a_run_id_prints_its_latest_report_verified(reports, capsys):
    code, out, err = cli(capsys, "report", "run-2")
    assert (code, err) == (0, "")
    assert out == render(doc(reports, "000003-m042-suspend.json"), checked="cc@example.org")
    assert out.split("\n\n")[1].startswith(
        "Bob Example (member m042) is suspended from Example Org until 31 Dec 2026 (the end of that day, UTC). The "
        "reason given: probation. It was carried out by alice@example.org on 24 Nov 2026, 10:00 UTC. This report "
        "shows where things stood on 25 Nov 2026, 09:00 UTC.")
    assert out.split("\n\n")[1].endswith("Its signature was checked just now: it is signed with the key of cc@example.org.")


def test_a_report_number_or_file_names_one_report(reports, capsys):
    expected = render(doc(reports, "000002-m042-suspend.json"), checked="cc@example.org")
    assert cli(capsys, "report", "2") == (0, expected, "")
    assert cli(capsys, "report", "000002") == (0, expected, "")
    assert cli(capsys, "report", str(reports / "000002-m042-suspend.json")) == (0, expected, "")
    assert cli(capsys, "report", "state/reports/000002-m042-suspend.md") == (0, expected, "")
    assert cli(capsys, "report", "run-")[2] == (
        "Error: 'run-' matches 2 runs (run-1, run-2): give more of the id\n")


def test_html_is_written_beside_the_report_and_its_path_printed(reports, capsys):
    code, out, err = cli(capsys, "report", "run-1", "--html")
    page = reports / "000001-m042-expel.html"
    assert (code, out, err) == (0, f"Wrote {page}\n", "")
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert "Bob Example (member m042) is expelled from Example Org." in html
    assert page.stat().st_mode & 0o777 == 0o600
    assert cli(capsys, "verify")[0] == 0  # a page beside the reports is no problem for the ledger
    Path("minutes").mkdir()
    assert cli(capsys, "report", "run-1", "--html", "--output", "minutes") == (
        0, "Wrote minutes/000001-m042-expel.html\n", "")
    assert cli(capsys, "report", "1", "--output", "minutes/bob.md") == (0, "Wrote minutes/bob.md\n", "")
    assert Path("minutes/bob.md").read_text() == render(doc(reports, "000001-m042-expel.json"), checked="cc@example.org")


def test_a_hostile_name_is_escaped_in_the_page(reports, capsys):
    config = load_config("offboard.toml")
    Ledger(reports).append(document(run_id="run-x", member={"id": "m666", "name": HOSTILE}), load_signer(config))
    assert cli(capsys, "report", "run-x", "--html")[0] == 0
    html = (reports / "000004-m666-expel.html").read_text()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; (member m666) is expelled" in html


def test_an_edited_report_is_an_error_and_nothing_is_written(reports, capsys):
    path = reports / "000002-m042-suspend.json"
    path.write_text(path.read_text().replace("probation", "nothing much"))
    code, out, err = cli(capsys, "report", "run-1", "--html")
    assert (code, out) == (1, "")
    assert err == (
        "Error: the ledger cannot be trusted, so nothing was read from it: 000002-m042-suspend.json was changed after "
        "signing: its signature does not match its content. Restore 000002-m042-suspend.json from your ledger's "
        "history (git) or remove it, then run `offboard verify` (it lists 1 more problem).\n")
    assert not list(reports.glob("*.html"))


def test_a_report_signed_by_another_key_or_unsigned_is_never_shown(reports, capsys):
    mallory = generate_key(Path("keys/mallory"), "mallory@example.org")
    with Path("keys/allowed_signers").open("a") as handle:
        handle.write(f"mallory@example.org {mallory.public_key_line}\n")
    forged = Ledger(reports).append(document(run_id="run-f", member={"id": "m044", "name": "Dora"}),
                                    FileKeySigner.from_file(mallory.private_path, lambda: ""))
    code, out, err = cli(capsys, "report", "run-f")
    assert (code, out) == (1, "")
    assert err.startswith(f"Error: the ledger cannot be trusted, so nothing was read from it: {forged.json_path.name} "
                          "is signed by mallory@example.org, not by the configured signer cc@example.org.")
    forged.json_path.unlink()
    forged.json_path.with_name(forged.json_path.name + ".sig").unlink()
    forged.md_path.unlink()
    Ledger(reports).append(document(run_id="run-u"), None)
    code, out, err = cli(capsys, "report", "run-u")
    assert (code, out) == (1, "")
    assert "000004-m042-expel.json is unsigned (written with --unsigned): it is not signed by cc@example.org" in err


def test_bad_inputs_say_what_to_do(reports, capsys):
    how = "pass a run id (see `offboard status`), a report number (000003) or a report file of the ledger"
    assert cli(capsys, "report", "run-9") == (
        1, "", f"Error: no report of 'run-9' in the ledger (the ledger holds reports 000001 to 000003): {how}\n")
    assert cli(capsys, "report", "7")[2] == (
        f"Error: no report of '7' in the ledger (the ledger holds reports 000001 to 000003): {how}\n")
    assert cli(capsys, "report", "elsewhere/000001-m042-expel.json")[2] == (
        f"Error: elsewhere/000001-m042-expel.json is not a report file (NNNNNN-member-kind.json): {how}\n")
    code, out, err = cli(capsys, "report", "run-1", "--html", "--output", "nowhere/minutes.html")
    assert (code, out, err) == (1, "", "Error: cannot write nowhere/minutes.html: the folder nowhere does not exist; "
                                       "create it, or pass --output FILE in a folder that does\n")
    assert not Path("nowhere").exists() and not list(reports.glob("*.html"))
    code, _, err = cli(capsys, "report", "run-1", "--output", str(reports / "000001-m042-expel.md"))
    assert code == 1 and "is part of the ledger (the signed report and its .md), which `offboard report` never " \
        "overwrites" in err


def test_a_report_outside_the_ledger_is_not_shown(reports, capsys, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "000001-m042-expel.json").write_bytes((reports / "000001-m042-expel.json").read_bytes())
    code, out, err = cli(capsys, "report", str(copy / "000001-m042-expel.json"))
    assert (code, out) == (1, "")
    assert err == (f"Error: {copy}/000001-m042-expel.json is not in the ledger ({reports}): `offboard report` shows "
                   "only reports it can verify there; check another with `offboard verify FILE`\n")


def test_an_unsigned_ledger_is_shown_with_a_warning(org, cli):
    code, out, err = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    assert code == 3, err
    run_id = json.loads(out)["run_id"]
    code, out, err = cli("report", run_id)
    assert code == 0
    assert err.startswith("Warning: unsigned ledger: no [signing] key is configured")
    assert out == (org.root / ".offboard" / "reports" / "000001-m042-expel.md").read_text()  # none checked: the same
    assert out.split("\n\n")[1] == (
        f"Bob Example (member m042) is expelled from Example Org. It was carried out by carol on {when(out)}. "
        "5 changes were made in 1 system. Still open: 1 step for a person to do. It is NOT signed (written with "
        "--unsigned): nothing shows who wrote it.")


def when(markdown: str) -> str:
    """The run's start as the report shows it (the run happened just now)."""
    return markdown.split("carried out by carol on ")[1].split(". ")[0]
