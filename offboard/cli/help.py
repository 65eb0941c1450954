"""How ``offboard --help`` and each command's help read.

The commands are listed in the order of the work (start, act, follow up, prove, maintain), not by
name; a value is named for what it is (``MEMBER``, ``--evidence FILE``), never by its Python type
(``member <str>``, ``list[Path]``): the option's ``metavar`` says it, and an argument shows its metavar
alone. Each command's docstring ends with an ``Example:`` line.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

#: the commands in the order of the work; a command not listed (a new one) comes last
ORDER = ("init", "demo", "expel", "suspend", "reinstate", "status", "confirm", "resume", "apply", "approve",
         "approvals", "audit", "verify", "report", "doctor", "keygen", "connectors")


class Group(TyperGroup):
    """The top level: commands in the order of the work."""

    def list_commands(self, ctx: Any) -> list[str]:
        known = {name: i for i, name in enumerate(ORDER)}
        return sorted(self.commands, key=lambda name: (known.get(name, len(ORDER)), name))


def shown_name(param: TyperArgument) -> str:
    """An argument as help names it: its metavar (``MEMBER``), else its name in capitals."""
    return param.metavar or (param.name or "").upper()


class Command(TyperCommand):
    """A command whose arguments read ``MEMBER``, not ``member <str>`` or ``{member}``."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = shown_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if isinstance(param, TyperArgument):
                arguments.append((shown_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class Typer(typer.Typer):
    """``typer.Typer`` whose commands are ``Command``s, so that every module's ``@app.command()`` gets them."""

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(name, cls=cls or Command, **kwargs)
