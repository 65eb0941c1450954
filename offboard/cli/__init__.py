"""The command line: a thin layer over ``offboard.operations``.

Domain errors (``OffboardError``) and usage errors become one ``Error: ...`` line on stderr
and exit 1; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from offboard.cli import (  # noqa: F401  (they register commands)
    audit_command,
    demo_command,
    info_commands,
    ledger_commands,
    run_commands,
    step_commands,
)
from offboard.cli.app import app
from offboard.errors import Aborted, ExitCode, OffboardError

__all__ = ["app", "main", "run"]


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly)."""
    args = list(argv)
    debug = "--debug" in args or bool(os.environ.get("OFFBOARD_DEBUG"))
    if "--debug" in args:
        args.remove("--debug")
    try:
        result = app(args=args, prog_name="offboard", standalone_mode=False)
    except (typer.Abort, Aborted):
        print("Aborted: nothing was changed.", file=sys.stderr)
        return ExitCode.ERROR
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        context = getattr(exc, "ctx", None)
        hint = f" See: {context.command_path} --help" if context is not None else ""
        print(f"Error: {exc.format_message().rstrip('.')}.{hint}", file=sys.stderr)
        return ExitCode.ERROR
    except OffboardError as exc:
        if debug:
            raise
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted. Run `offboard resume` to finish an interrupted run.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    return int(result) if isinstance(result, int) else ExitCode.OK


def main() -> None:
    sys.exit(run(sys.argv[1:]))
