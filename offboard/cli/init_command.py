"""``offboard init``: a new org's folder (config, roster, signing key, .gitignore), asked or from flags."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.text import Text

from offboard import operations
from offboard.cli import documents, prompts
from offboard.cli.app import JsonOption, app, err_console, print_json, say
from offboard.errors import ExitCode
from offboard.text import for_terminal


class TerminalQuestions:
    """The questions of ``init``, at the terminal (``prompts.keyboard``: tests script it)."""

    def can_ask(self) -> bool:
        return prompts.keyboard.present()

    def ask(self, question: str) -> str:
        return prompts.keyboard.answer(question)

    def note(self, text: str) -> None:
        err_console.print(Text(for_terminal(text, keep_newlines=True)))


@app.command()
def init(
    directory: Path = typer.Argument(Path("."), metavar="DIR", help="The folder to write in (created if missing)."),
    org_name: str | None = typer.Option(None, "--org-name", metavar="TEXT", help="The organization's name."),
    domain: str | None = typer.Option(None, "--domain", metavar="DOMAIN", help="Its domain, e.g. example.org."),
    systems: str | None = typer.Option(
        None, "--systems", metavar="NAME,...", help="The systems it uses, e.g. google,slack,notice (empty: none)."
    ),
    roster: Path | None = typer.Option(
        None, "--roster", metavar="PATH", help="An existing roster CSV (default: write roster.csv with the header)."
    ),
    yes: bool = typer.Option(False, "--yes", help="Ask nothing: take the flags as given, and write."),
    as_json: bool = JsonOption,
) -> int:
    """Start an org's folder: offboard.toml with a table per system, a roster, the signing key, a .gitignore.

    Example: offboard init myorg --org-name "Example Org" --domain example.org
    """
    from offboard.operations.initializing import split_systems

    chosen = split_systems(systems) if systems is not None else None
    request = operations.InitRequest(directory, org_name, domain, chosen, roster, yes)
    result = operations.init(request, TerminalQuestions())
    if as_json:
        print_json("init", ExitCode.OK, documents.init_fields(result))
    else:
        show_init(result)
    return ExitCode.OK


def show_init(result: operations.InitResult) -> None:
    from offboard.operations import initializing as ini

    where = result.directory
    say(f"Wrote in {where}:")
    say(f"  {result.config_path.name}: [org], [roster], [state], [signing]"
        + "".join(f", [{_table(name)}]" for name in result.systems if _table(name)))
    if result.roster_template:
        say(f"  {_shown(result.roster_path, where)}: the header only (a CSV has no comments): add one line per member")
    say(f"  {ini.GITIGNORE}: keeps {ini.STATE_DIR}/ (the state), {ini.KEY} (the private key) and secrets/ (put "
        "key files such as Google's there) out of git")
    key = result.key
    say(f"  {_shown(key.private_path, where)} and {_shown(key.public_path, where)}: the key that signs reports "
        f"({key.fingerprint})")
    say(f"  {_shown(key.allowed_signers_path, where)}: who may sign; publish its line, e.g. in the minutes:")
    say(f"    {key.allowed_signers_line}")
    if result.to_fill:
        say(f"Replace {ini.PLACEHOLDER} in offboard.toml: {'; '.join(result.to_fill)}.")
    config = "" if where.resolve() == Path.cwd().resolve() else f" --config {_shown(result.config_path, Path.cwd())}"
    say("Next:")
    say(f"  offboard doctor{config}")
    say(f"  offboard expel SOMEONE --dry-run{config}")
    say('  the nightly audit: README, section "Audits" (a systemd timer, or a cron line)')


def _table(name: str) -> str | None:
    from offboard.spi import registry

    cls = registry.load(name)
    return (cls.config_table or f"connectors.{name}") if cls.config_fields else None


def _shown(path: Path, base: Path) -> str:
    """Relative to ``base`` when inside it, else as it is."""
    try:
        return os.path.relpath(path.resolve(), base.resolve()) if path.resolve().is_relative_to(base.resolve()) else str(path)
    except ValueError:
        return str(path)
