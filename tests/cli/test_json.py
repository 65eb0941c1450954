"""--json: every command that takes it prints one document with its kind, the schema's format and the exit code;
an error under --json is a document too; docs/json.md describes every kind."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from offboard.report.signing.keys import generate_key

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "json.md").read_text()
LATER = (date.today() + timedelta(days=30)).isoformat()

#: the document kind each command prints, as run below
KINDS = {"connectors": "connectors", "doctor": "doctor", "keygen": "keygen", "expel": "plan", "suspend": "run",
         "reinstate": "run", "audit": "audit", "verify": "verify", "approvals": "approvals", "approve": "approve",
         "apply": "run", "status": "status", "confirm": "confirm", "resume": "resume", "init": "init", "demo": "demo",
         "report": "report"}
OTHER_KINDS = ("plan", "run", "due", "error", "together")  # printed by the same commands in other cases


def takes_json() -> set[str]:
    from typer.main import get_command

    from offboard.cli.app import app

    group = get_command(app)
    return {name for name, command in group.commands.items()  # type: ignore[attr-defined]
            if any("--json" in getattr(p, "opts", ()) for p in command.params)}


def document(cli, *args: str) -> tuple[int, dict]:
    code, out, err = cli(*args, "--json")
    try:
        parsed = json.loads(out)
    except json.JSONDecodeError:
        raise AssertionError(f"offboard {' '.join(args)} --json printed no single JSON document: {out!r} {err!r}") from None
    return code, parsed


def check(code: int, found: dict, kind: str, what: str) -> None:
    assert (found.get("kind"), found.get("format"), found.get("exit_code")) == (kind, 1, code), (what, found)


def test_every_command_that_takes_json_prints_one_document_with_kind_format_and_exit_code(org, cli, monkeypatch):
    monkeypatch.delenv("OFFBOARD_APPROVER_KEY", raising=False)
    seen: dict[str, dict] = {}

    def run(*args: str) -> dict:
        code, found = document(cli, *args)
        check(code, found, KINDS[args[0]] if found.get("kind") != "error" else "error", " ".join(args))
        seen[args[0]] = found
        return found

    run("connectors")
    run("doctor")
    signers = run("keygen", "--out", "keys/report_key", "--signer", "cc@example.org")["allowed_signers"]
    assert run("expel", "m042", "--playbook", "test", "--dry-run")["plan"]["kind"] == "expel"
    suspended = run("suspend", "m001", "--until", LATER, "--reason", "CC decision", "--playbook", "test", "--yes",
                    "--unsigned")
    assert suspended["run_kind"] == "suspend"
    run("reinstate", "m001", "--yes", "--unsigned")
    assert json.loads(cli("reinstate", "--due", "--yes", "--unsigned", "--json")[1])["kind"] == "due"
    run("audit", "--unsigned")
    run("verify", ".offboard/reports", "--allowed-signers", signers, "--allow-unsigned")
    # a plan saved, approved by the one approver the config asks for, applied, confirmed
    key = generate_key(org.root / "keys" / "alice", "alice@example.org")
    org.write("keys/approvers", f"alice@example.org {key.public_key_line}\n")
    org.write("offboard.toml", (org.root / "offboard.toml").read_text()
              + '\n[approvals]\nrequired = 1\napprovers = "keys/approvers"\n')
    saved = run("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    assert saved["saved_to"] == "plan.json" and saved["plan"]["member"]["id"] == "m042"
    run("approvals", "plan.json")
    run("approve", "plan.json", "--key", str(key.private_path), "--yes")
    run_id = run("apply", "plan.json", "--yes", "--unsigned")["run_id"]
    run("status")
    code, detail = document(cli, "status", run_id)
    check(code, detail, "run", "status RUN")
    assert detail["actions"]
    run("confirm", run_id, "remove-signer", "--key", str(key.private_path), "--reference", "letter 12")
    run("resume")
    if "init" in takes_json():
        run("init", "neworg", "--org-name", "New Org", "--domain", "example.org", "--systems", "", "--yes")
    if "report" in takes_json():
        run("report", run_id)
    missing = takes_json() - set(seen) - {"demo"}  # the demo: below, on its own sandbox
    assert not missing, f"add a --json run of these commands to this test: {sorted(missing)}"
    assert all(found["kind"] != "error" for found in seen.values()), {n: f for n, f in seen.items() if f["kind"] == "error"}


def test_the_demo_prints_one_document_too(cli):
    if "demo" not in takes_json():
        return  # the demo's --json comes with its command module
    code, found = document(cli, "demo")
    check(code, found, "demo", "demo")


def test_an_error_under_json_is_a_document_on_stdout_and_a_line_on_stderr(org, cli):
    code, out, err = cli("expel", "nobody", "--playbook", "test", "--dry-run", "--json")
    assert code == 1 and err.startswith("Error: ")
    assert json.loads(out) == {"kind": "error", "format": 1, "exit_code": 1, "error": err.removeprefix("Error: ").strip()}


def test_a_usage_error_under_json_is_a_document_too(org, cli):
    code, out, err = cli("expel", "--json")
    assert (code, err) == (1, "Error: Missing argument 'MEMBER...'. See: offboard expel --help\n")
    assert json.loads(out) == {"kind": "error", "format": 1, "exit_code": 1,
                               "error": "Missing argument 'MEMBER...'. See: offboard expel --help"}


def test_a_refusal_to_guess_under_json_is_a_document(org, cli):
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--unsigned", "--json")
    assert code == 1 and json.loads(out)["error"].startswith("confirmation needed but there is no terminal")


def test_without_json_errors_stay_off_stdout(org, cli):
    assert cli("expel", "nobody", "--playbook", "test", "--dry-run")[1] == ""


def test_docs_describe_every_kind():
    headings = set(re.findall(r"^## `([a-z-]+)`", DOCS, re.MULTILINE))
    assert set(KINDS.values()) | set(OTHER_KINDS) <= headings
    assert "`kind`" in DOCS and "`format`" in DOCS and "`exit_code`" in DOCS
