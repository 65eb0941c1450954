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


LAUNCHED = """
import sys
from offboard.launch import main
try:
    main()
finally:
    commands = sorted(m for m in sys.modules if m.startswith("offboard.cli.") and m.endswith(("_command", "_commands")))
    print("pydantic:", "pydantic" in sys.modules, "yaml:", "yaml" in sys.modules, "cryptography:",
          "cryptography" in sys.modules, "commands:", ",".join(commands), file=sys.stderr)
"""


@pytest.mark.parametrize(("args", "shown"), [
    (["status"], "pydantic: False yaml: False cryptography: False commands: offboard.cli.step_commands"),
    # a path argument, converted without pydantic
    (["apply", "no-such-plan.json"], "pydantic: False yaml: True cryptography: False commands: offboard.cli.run_commands"),
])
def test_a_command_imports_its_own_module_and_no_pydantic(tmp_path, args, shown):
    """typer converts values through pydantic (150 ms); ours are converted plainly (``offboard.cli.coercion``),
    and the entry point imports the invoked command's module alone (``offboard.cli.COMMANDS``). ``status``
    reads no playbook and no key: no YAML, no cryptography either."""
    (tmp_path / "offboard.toml").write_text(CONFIG)
    (tmp_path / "roster.csv").write_text("id,name,email,personal_email,status\nm042,Bob,bob@example.org,,active\n")
    done = subprocess.run([sys.executable, "-c", LAUNCHED, *args], cwd=tmp_path, env=environ_for_subprocess(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert done.stderr.splitlines()[-1] == shown, done.stderr
    assert done.returncode == (0 if args == ["status"] else 1)


def test_every_command_is_found_in_the_module_commands_names():
    from offboard.cli import COMMANDS, app

    registered = {c.name or c.callback.__name__.replace("_", "-"): c.callback.__module__  # type: ignore[union-attr]
                  for c in app.registered_commands}
    assert registered == {name: f"offboard.cli.{module}" for name, module in COMMANDS.items()}
