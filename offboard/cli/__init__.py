"""The command line: a thin layer over the library.

Domain errors (``OffboardError``) become one ``Error: ...`` line on stderr and their exit
code; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from offboard.cli import audit_command, demo_command, info_commands, ledger_commands, run_commands  # noqa: F401  (they register commands)
from offboard.cli.app import app
from offboard.errors import OffboardError

__all__ = ["app", "main", "run"]


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly)."""
    args = list(argv)
    debug = "--debug" in args or bool(os.environ.get("OFFBOARD_DEBUG"))
    if "--debug" in args:
        args.remove("--debug")
    try:
        result = app(args=args, prog_name="offboard", standalone_mode=False)
    except typer.Abort:
        print("Aborted: nothing was changed.", file=sys.stderr)
        return 1
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        show() if show else print(f"Error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except OffboardError as exc:
        if debug:
            raise
        print(f"Error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted. Run `offboard resume` to finish an interrupted run.", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


def main() -> None:
    sys.exit(run(sys.argv[1:]))
