"""The command line: a thin layer over ``offboard.operations``.

Domain errors (``OffboardError``) and usage errors become one ``Error: ...`` line on stderr
and exit 1; a traceback is shown only with ``--debug``. Any other exception is a bug: one
``Error:`` line naming the file that holds its traceback (``offboard.cli.crash``), exit 1.
With ``--json``, every error is also one JSON document on stdout (``kind`` "error").
"""

from __future__ import annotations

import contextvars
import importlib
import os
import sys
from collections.abc import Sequence

import typer
from typer._click.exceptions import NoArgsIsHelpError

from offboard.cli import live
from offboard.cli.app import app, installed_version, print_json
from offboard.cli.crash import report_bug
from offboard.errors import Aborted, ExitCode, OffboardError, RunInterrupted
from offboard.text import for_terminal

__all__ = ["COMMANDS", "app", "installed_version", "main", "run"]

#: the module that registers each command. Every one is imported, except in a process the ``offboard``
#: entry point started for one of these commands (``offboard.launch.invoked``): that command's alone, since
#: building all 17 commands' options costs about 20 ms that one command does not use.
COMMANDS = {
    "init": "init_command", "demo": "demo_command", "expel": "run_commands", "suspend": "run_commands",
    "reinstate": "run_commands", "apply": "run_commands", "resume": "run_commands", "status": "step_commands",
    "confirm": "step_commands", "approve": "approval_commands", "approvals": "approval_commands",
    "audit": "audit_command", "verify": "ledger_commands", "keygen": "ledger_commands",
    "report": "report_command", "doctor": "info_commands", "connectors": "info_commands",
}


def _command_modules() -> set[str]:
    """The invoked command's module when the ``offboard`` entry point started this process, else every one.
    The launcher is asked when it is loaded, never imported: it imports the CLI."""
    invoked = getattr(sys.modules.get("offboard.launch"), "invoked", None)
    return {COMMANDS[invoked]} if invoked in COMMANDS else set(COMMANDS.values())


for _module in sorted(_command_modules()):
    importlib.import_module(f"offboard.cli.{_module}")  # each registers its commands


def run(argv: Sequence[str]) -> int:
    """Run the CLI with ``argv`` and return the exit code (tests call this directly). Each run has a context of
    its own: what a command sets for its length (the discovery watcher) ends with it, and so does a live line."""
    try:
        return contextvars.copy_context().run(_run, list(argv))
    finally:
        live.clear_all()


def _run(args: list[str]) -> int:
    debug = "--debug" in args or bool(os.environ.get("OFFBOARD_DEBUG"))
    if "--debug" in args:
        args.remove("--debug")
    as_json = "--json" in args

    def fail(line: str, code: int, error: str) -> int:
        """``line`` for the person on stderr; with --json, ``error`` in a JSON document on stdout too."""
        print(line, file=sys.stderr)
        if as_json:
            print_json("error", code, {"error": error})
        return code

    try:
        result = app(args=args, prog_name="offboard", standalone_mode=False)
    except (typer.Abort, Aborted):
        return fail("Aborted: nothing was changed.", ExitCode.ERROR, "aborted: nothing was changed")
    except NoArgsIsHelpError as exc:  # `offboard` alone: the help, as --help shows it
        print(exc.format_message())
        return ExitCode.OK
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        context = getattr(exc, "ctx", None)
        hint = f" See: {context.command_path} --help" if context is not None else ""
        message = f"{exc.format_message().rstrip('.')}.{hint}"
        return fail(f"Error: {for_terminal(message, keep_newlines=True)}", ExitCode.ERROR, message)
    except RunInterrupted as exc:  # Ctrl-C while a run applied: what was in flight is journaled
        _hard_exit.append(exc.at_once)
        return fail(str(exc), exc.exit_code, str(exc))
    except OffboardError as exc:
        if debug:
            raise
        # it may quote a name or a service's answer
        return fail(f"Error: {for_terminal(exc)}", exc.exit_code, str(exc))
    except KeyboardInterrupt:  # typer turns most into exit code 130, below
        result = ExitCode.INTERRUPTED
    except SystemExit as exc:  # --install-completion and --show-completion end here
        return exc.code if isinstance(exc.code, int) else ExitCode.ERROR
    except Exception as exc:  # a bug: one line and a file for the bug report, the traceback only with --debug
        message = report_bug(exc, args, debug)
        return fail(f"Error: {for_terminal(message)}", ExitCode.ERROR, message)
    if result == ExitCode.INTERRUPTED:  # Ctrl-C before or after a run applied, never during
        return fail("Interrupted: nothing more was done. A run that had started is finished by: offboard resume",
                    ExitCode.INTERRUPTED, "interrupted: nothing more was done")
    return int(result) if isinstance(result, int) else ExitCode.OK


_hard_exit: list[bool] = []  # a second Ctrl-C: worker threads still in flight must not hold the exit


def main() -> None:
    code = run(sys.argv[1:])
    if any(_hard_exit):
        sys.stderr.flush()
        os._exit(code)  # the journal is committed; the actions in flight stay in intent for resume
    sys.exit(code)
