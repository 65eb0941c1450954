"""The help people read: commands in the order of the work, values named for what they are, an example each;
--version and shell completion."""

from __future__ import annotations

import re

import pytest

from offboard.cli.help import ORDER

PYTHON_TYPES = re.compile(r"<(str|path|int|float|bool|file|text)>|list\[|\{\w+\}", re.IGNORECASE)


def commands() -> list[str]:
    from typer.main import get_command

    from offboard.cli.app import app

    return list(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_commands_are_listed_in_the_order_of_the_work(cli):
    code, out, _ = cli("--help")
    listed = [line.split()[0] for line in out.split("Commands:\n")[1].splitlines() if line.startswith("  ")
              and not line.startswith("   ")]
    assert code == 0 and listed == [name for name in ORDER if name in commands()]
    assert set(listed) == set(commands())  # a new command is listed too, after these


def test_offboard_alone_shows_the_help(cli):
    code, out, err = cli()
    assert (code, err) == (0, "") and out.startswith("Usage: offboard [OPTIONS] COMMAND [ARGS]...\n")


@pytest.mark.parametrize("name", commands())
def test_each_command_names_its_values_and_gives_an_example(cli, name):
    code, out, err = cli(name, "--help")
    assert (code, err) == (0, "")
    assert not PYTHON_TYPES.search(out), PYTHON_TYPES.search(out)
    assert re.search(rf"\n  Example: offboard {name}\b", out), f"offboard {name} --help has no Example: line"


def test_the_help_of_expel_reads_as_words(cli):
    _, out, _ = cli("expel", "--help")
    assert out.startswith("Usage: offboard expel [OPTIONS] MEMBER...\n\n  Revoke a member's access everywhere, following "
                          "a playbook; several members\n  are cut together.\n\n  Example: offboard expel m042 --dry-run"
                          "\n\nArguments:\n  MEMBER...  Member id or email")
    for option in ("-p, --playbook NAME|FILE", "--save-plan FILE", "-c, --config FILE", "--json"):
        assert f"\n  {option}  " in out


def test_the_values_of_confirm_are_named(cli):
    _, out, _ = cli("confirm", "--help")
    assert "Usage: offboard confirm [OPTIONS] RUN STEP...\n" in out
    for option in ("--evidence FILE", "--by NAME", "--reference TEXT", "--key PATH|agent", "--as PRINCIPAL"):
        assert f"\n  {option}  " in out


def test_an_optional_argument_is_in_brackets(cli):
    _, out, _ = cli("status", "--help")
    assert "Usage: offboard status [OPTIONS] [RUN|MEMBER]\n" in out


def test_version_is_in_the_help_and_says_which_version_is_installed(cli):
    from importlib.metadata import version

    assert "\n  --version  " in cli("--help")[1]
    assert cli("--version") == (0, f"offboard {version('offboard')}\n", "")


def test_shell_completion_can_be_installed_and_completes_commands(cli, monkeypatch):
    out = cli("--help")[1]
    assert "\n  --install-completion  " in out and "\n  --show-completion  " in out
    code, script, _ = cli("--show-completion", "bash")
    assert code == 0 and "_OFFBOARD_COMPLETE=complete_bash" in script
    monkeypatch.setenv("_OFFBOARD_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", "offboard ex")
    monkeypatch.setenv("COMP_CWORD", "1")
    assert cli() == (0, "expel\n", "")
