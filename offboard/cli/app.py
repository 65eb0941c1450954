"""The Typer application and the console helpers every command module shares."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import typer
from rich.console import Console

from offboard.cli import help
from offboard.cli.coercion import PlainValues
from offboard.cli.prompts import TerminalInteraction
from offboard.cli.render import put


class Group(PlainValues, help.Group):
    """``help.Group`` whose values are converted without pydantic (``coercion``)."""


class Command(PlainValues, help.Command):
    """``help.Command`` whose values are converted without pydantic (``coercion``)."""


class Typer(help.Typer):
    """Every ``@app.command()`` gets ``Command``."""

    def command(self, name: str | None = None, *, cls: type[Any] | None = None, **kwargs: Any) -> Any:
        return super().command(name, cls=cls or Command, **kwargs)


app = Typer(
    name="offboard",
    cls=Group,
    help="End a member's access to the organization's accounts: preview, apply, prove.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# soft_wrap: long sentences are not cut at 80 columns when output goes to a file or a test;
# emoji=False: a name holding ":warning:" is shown as typed. Colour only on a terminal, never with NO_COLOR:
# rich decides both, and nothing here forces it.
console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

#: the version of every ``--json`` document's schema (docs/json.md)
JSON_FORMAT = 1


def installed_version() -> str:
    """The installed distribution's version (``offboard --version``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("offboard")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def _show_version(value: bool) -> None:
    if value:
        print(f"offboard {installed_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                 help="Print the installed version and exit."),
) -> None:
    """End a member's access to the organization's accounts: preview, apply, prove."""


def document(kind: str, exit_code: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A ``--json`` document: its ``kind``, the schema's ``format`` and the command's ``exit_code`` first."""
    return {**fields, "kind": kind, "format": JSON_FORMAT, "exit_code": int(exit_code)}


def print_json(kind: str, exit_code: int, fields: Mapping[str, Any]) -> None:
    """One JSON document on stdout, for scripts (``--json``); docs/json.md describes each kind."""
    sys.stdout.write(json.dumps(document(kind, exit_code, fields), indent=2, sort_keys=True, default=str) + "\n")


def say(text: str) -> None:
    """Print one line as text: paths, names and messages may hold brackets that are not markup, and control
    characters, shown escaped (see ``render.put``)."""
    put(console, text)


def terminal(as_json: bool = False) -> TerminalInteraction:
    """How operations talk to the person at this terminal; it also watches discovery (the live line), for the
    length of the command (``offboard.cli.run`` runs each command in a context of its own)."""
    from offboard.plans.discovery import watcher

    ui = TerminalInteraction(console, err_console, as_json)
    watcher.set(ui)
    return ui


ConfigOption = typer.Option(None, "--config", "-c", metavar="FILE",
                            help="The config file (default: $OFFBOARD_CONFIG, else ./offboard.toml).")
JsonOption = typer.Option(False, "--json", help="Print one JSON document for scripts (docs/json.md).")
