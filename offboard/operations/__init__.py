"""The use cases. The CLI, the demo and the benchmarks call these and nothing deeper.

Each takes a ``Session`` (config, roster, journal, connectors: opened once, all closed at
the end) and a typed request, talks to the person through an ``Interaction``, and returns a
typed result with its exit code. ``offboard.operations.demo`` is apart: it starts emulators.
"""

from offboard.apply.confirm import ConfirmRequest
from offboard.operations.auditing import AuditOutcome, AuditRequest, audit
from offboard.operations.checks import Checkup, InstalledConnector, doctor, installed_connectors
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.ledger import KeygenRequest, NewKey, VerifyRequest, keygen, verify
from offboard.operations.revoke import ExpelRequest, ExpelResult, ResumeResult, apply_saved, expel, resume
from offboard.operations.session import Session
from offboard.operations.steps import QUICK_LOOK, ConfirmResult, RunDetail, RunList, confirm, status

__all__ = [
    "QUICK_LOOK", "AuditOutcome", "AuditRequest", "Checkup", "ConfirmRequest", "ConfirmResult", "ExpelRequest", "ExpelResult",
    "InstalledConnector", "Interaction", "KeygenRequest", "NewKey", "ResumeResult", "RunDetail", "RunList", "Session", "Silent",
    "VerifyRequest", "apply_saved", "audit", "confirm", "doctor", "expel", "installed_connectors", "keygen", "resume",
    "status", "verify",
]
