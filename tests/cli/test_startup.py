"""The CLI starts fast: --help, status and connectors do not import Google's or Slack's client libraries.

They are imported where a connector makes a call (connectors/google_workspace/api/,
connectors/slack/api.py). Each command runs in a fresh interpreter, so that nothing
another test imported hides an import.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import environ_for_subprocess

CLIENT_LIBRARIES = ("googleapiclient", "google.auth", "google.oauth2", "google_auth_httplib2", "httplib2", "slack_sdk")

PROBE = f"""
import sys
from offboard.cli import run
code = run(sys.argv[1:])
print("imported:", ",".join(m for m in {CLIENT_LIBRARIES!r} if m in sys.modules) or "none", "exit:", code)
"""

CONFIG = """\
[org]
name = "Example Org"
domain = "example.org"

[roster]
path = "roster.csv"

[connectors.google]
service_account_file = "sa.json"
admin = "admin@example.org"

[connectors.slack]
token_env = "SLACK_ADMIN_TOKEN"
"""


@pytest.mark.parametrize("args", [["--help"], ["status"], ["status", "--json"], ["connectors"]])
def test_these_commands_do_not_import_the_client_libraries(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "offboard.toml").write_text(CONFIG)
    (tmp_path / "roster.csv").write_text("id,name,email,personal_email,status\nm042,Bob,bob@example.org,,active\n")
    done = subprocess.run([sys.executable, "-c", PROBE, *args], cwd=tmp_path, env=environ_for_subprocess(tmp_path),
                          capture_output=True, text=True, timeout=60)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("imported: none exit: 0"), (last, done.stderr)


def test_version_says_which_version_is_installed(cli):
    from importlib.metadata import version

    assert cli("--version") == (0, f"offboard {version('offboard')}\n", "")


LAUNCH = """
import sys
from offboard.launch import main
try:
    main()
finally:
    print("cli imported:", "offboard.cli" in sys.modules, "typer imported:", "typer" in sys.modules, file=sys.stderr)
"""


def test_the_stored_help_is_what_the_cli_prints(cli, monkeypatch):
    """offboard --help answers from cli/help.txt before importing the CLI: it must say what the CLI would."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = cli("--help")
    stored = (Path(__file__).parents[2] / "offboard" / "cli" / "help.txt").read_text()
    assert out == stored, "run: COLUMNS=80 NO_COLOR=1 python -c \"from offboard.cli import run; run(['--help'])\" > offboard/cli/help.txt"


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_help_and_version_do_not_import_the_cli(args, tmp_path):
    done = subprocess.run([sys.executable, "-c", LAUNCH, *args], capture_output=True, text=True, cwd=tmp_path,
                          env=environ_for_subprocess(tmp_path), timeout=60)
    assert done.returncode == 0
    assert done.stderr == "cli imported: False typer imported: False\n"
    assert done.stdout.startswith("Usage: offboard [OPTIONS] COMMAND" if args == ["--help"] else "offboard ")


def test_anything_else_goes_to_the_cli(tmp_path):
    done = subprocess.run([sys.executable, "-c", LAUNCH, "nosuch"], capture_output=True, text=True, cwd=tmp_path,
                          env=environ_for_subprocess(tmp_path), timeout=60)
    assert done.returncode == 1 and "No such command 'nosuch'" in done.stderr
