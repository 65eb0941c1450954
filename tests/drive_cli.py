"""Run the CLI in a subprocess with the fake connector installed: `python -m tests.drive_cli ARGS`."""

import sys

from offboard.cli import run
from tests.fakes import register_fake

if __name__ == "__main__":
    register_fake()
    sys.exit(run(sys.argv[1:]))
