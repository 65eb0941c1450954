"""The ``offboard`` command's entry point: ``--help`` and ``--version`` answered before the CLI is imported.

Importing the CLI (typer, rich, every command) takes a few hundred milliseconds; asking what the
commands are should not. ``--help`` prints ``cli/help.txt``, which a test keeps equal to what the CLI
itself prints at 80 columns; anything else goes to ``offboard.cli.main``.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: the command this process was started for (``main``), so that the CLI imports that command's module
#: alone (``offboard.cli.COMMANDS``); None when the CLI is imported otherwise (tests): every command's.
invoked: str | None = None


def main() -> None:
    global invoked
    args = sys.argv[1:]
    if args == ["--help"]:
        # beside this file, not through importlib.resources: that would import the offboard.cli package
        sys.stdout.write((Path(__file__).parent / "cli" / "help.txt").read_text(encoding="utf-8"))
        sys.exit(0)
    if args == ["--version"]:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"offboard {version('offboard')}")
            sys.exit(0)
        except PackageNotFoundError:
            pass  # not installed as a distribution: the CLI says so
    # the first word that is not an option: `offboard --debug expel m042`; `offboard` alone has none (all)
    invoked = next((arg for arg in args if not arg.startswith("-")), None)
    from offboard.cli import main as cli_main

    cli_main()
