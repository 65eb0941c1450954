"""Run the CLI in a subprocess with the fake connector installed: `python -m tests.drive_cli ARGS`.

``OFFBOARD_TEST_HANG_BEFORE_REPORT=1``: hang when the report is about to be written, so that a test can
kill the run between its last action and its report.
"""

import os
import time

from offboard.cli import main
from offboard.report.ledger import Ledger
from tests.fakes import register_fake

if __name__ == "__main__":
    register_fake()
    if os.environ.get("OFFBOARD_TEST_HANG_BEFORE_REPORT"):
        Ledger.append = lambda *args, **kwargs: time.sleep(3600)  # type: ignore[method-assign]
    main()
