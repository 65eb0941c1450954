"""The command line: a thin layer over ``offboard.operations``.

Domain errors (``OffboardError``) and usage errors become one ``Error: ...`` line on stderr
and exit 1; a traceback is shown only with ``--debug``. Any other exception is a bug: one
``Error:`` line naming the file that holds its traceback (``offboard.cli.crash``), exit 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer

from offboard.cli import (  # noqa: F401  (they register commands)
    approval_commands,
    audit_command,
    demo_command,
    info_commands,
    init_command,
    ledger_commands,
    run_commands,
    step_commands,
)
from offboard.cli.app import app
from offboard.cli.crash import report_bug
from offboard.errors import Aborted, ExitCode, OffboardError, RunInterrupted
from offboard.text import for_terminal

__all__ = ["app", "main", "run"]


def installed_version() -> str:
    """The installed distribution's version (``offboard --version``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("offboard")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "(not installed)"


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly)."""
    args = list(argv)
    debug = "--debug" in args or bool(os.environ.get("OFFBOARD_DEBUG"))
    if "--debug" in args:
        args.remove("--debug")
    if args == ["--version"]:
        print(f"offboard {installed_version()}")
        return ExitCode.OK
    try:
        result = app(args=args, prog_name="offboard", standalone_mode=False)
    except (typer.Abort, Aborted):
        print("Aborted: nothing was changed.", file=sys.stderr)
        return ExitCode.ERROR
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        context = getattr(exc, "ctx", None)
        hint = f" See: {context.command_path} --help" if context is not None else ""
        print(f"Error: {for_terminal(exc.format_message().rstrip('.'), keep_newlines=True)}.{hint}", file=sys.stderr)
        return ExitCode.ERROR
    except RunInterrupted as exc:  # Ctrl-C while a run applied: what was in flight is journaled
        print(exc, file=sys.stderr)
        _hard_exit.append(exc.at_once)
        return exc.exit_code
    except OffboardError as exc:
        if debug:
            raise
        print(f"Error: {for_terminal(exc)}", file=sys.stderr)  # it may quote a name or a service's answer
        return exc.exit_code
    except KeyboardInterrupt:  # typer turns most into exit code 130, below
        result = ExitCode.INTERRUPTED
    except Exception as exc:  # a bug: one line and a file for the bug report, the traceback only with --debug
        return report_bug(exc, args, debug)
    if result == ExitCode.INTERRUPTED:  # Ctrl-C before or after a run applied, never during
        print("Interrupted: nothing more was done. A run that had started is finished by: offboard resume",
              file=sys.stderr)
    return int(result) if isinstance(result, int) else ExitCode.OK


_hard_exit: list[bool] = []  # a second Ctrl-C: worker threads still in flight must not hold the exit


def main() -> None:
    code = run(sys.argv[1:])
    if any(_hard_exit):
        sys.stderr.flush()
        os._exit(code)  # the journal is committed; the actions in flight stay in intent for resume
    sys.exit(code)
