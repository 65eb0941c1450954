"""The Typer application and the console helpers every command module shares."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

from offboard.cli.prompts import TerminalInteraction
from offboard.cli.render import put

app = typer.Typer(
    name="offboard",
    help="End a member's access to the organization's accounts: preview, apply, prove.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# soft_wrap: long sentences are not cut at 80 columns when output goes to a file or a test;
# emoji=False: a name holding ":warning:" is shown as typed
console = Console(highlight=False, soft_wrap=True, emoji=False)
err_console = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def print_json(document: Any) -> None:
    """One JSON document on stdout, for scripts (``--json``)."""
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")


def say(text: str) -> None:
    """Print one line as text: paths, names and messages may hold brackets that are not markup, and control
    characters, shown escaped (see ``render.put``)."""
    put(console, text)


def terminal(as_json: bool = False) -> TerminalInteraction:
    """How operations talk to the person at this terminal."""
    return TerminalInteraction(console, err_console, as_json)


ConfigOption = typer.Option(None, "--config", "-c", help="Path to offboard.toml (default: $OFFBOARD_CONFIG, ./offboard.toml).")
JsonOption = typer.Option(False, "--json", help="Print one JSON document for scripts.")
