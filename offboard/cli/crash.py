"""A bug in offboard: one ``Error:`` line for the person, the traceback in a file for the bug report.

A traceback on the terminal is noise to the person offboarding someone, and may scroll away
what matters; the file keeps it for whoever fixes the bug. It holds the traceback, the
versions and the command's name: no arguments, no environment, so no secret.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from offboard.config import load_config

MESSAGE_LIMIT = 200  # characters of the exception's message on the Error line; the file has all of it


def crash_folders(args: list[str]) -> list[Path]:
    """Where a crash file may go, first choice first: beside the journal, in ``crashes/`` of the state folder,
    when the command's config can be read; else ``$XDG_STATE_HOME/offboard`` (``~/.local/state/offboard``);
    else the temp folder."""
    folders = []
    explicit = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--config", "-c")), None)
    explicit = next((a.split("=", 1)[1] for a in args if a.startswith("--config=")), explicit)
    try:
        state_dir = load_config(explicit).state_dir
        if state_dir.is_dir() and not (state_dir / "crashes").is_symlink():  # made by offboard, never here
            folders.append(state_dir / "crashes")
    except Exception:  # the config may be what is broken: the next folder will do
        pass
    state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return [*folders, Path(state_home) / "offboard", Path(tempfile.gettempdir())]


def write_crash_file(exc: BaseException, args: list[str]) -> Path | None:
    """The traceback in a new file only its owner can read (0600); None when no folder takes it."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    command = next((a for a in args if not a.startswith("-")), "")
    text = (f"offboard {_version()} hit a bug in `offboard {command}` at {stamp} UTC\n"
            f"Python {platform.python_version()} on {platform.platform()}\n\n"
            + "".join(traceback.format_exception(exc)))
    for folder in crash_folders(args):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f"crash-{stamp}-", suffix=".txt", dir=folder)  # mode 0600
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            return Path(name)
        except OSError:
            continue
    return None


def _version() -> str:
    from offboard.cli.app import installed_version

    return installed_version()


def report_bug(exc: BaseException, args: list[str], debug: bool) -> str:
    """Write the crash file (and, with ``--debug``, print the traceback first); return the ``Error:`` line's
    message, naming the file."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    message = str(exc)
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 1] + "…"
    what = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    path = write_crash_file(exc, args)
    if path is None:
        return (f"offboard hit a bug ({what}); its details could not be saved to a file: "
                "run the command again with --debug and attach what it prints to a bug report")
    return f"offboard hit a bug ({what}); details are in {path}: please attach that file to a bug report"
