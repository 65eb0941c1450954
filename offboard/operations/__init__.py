"""The use cases. The CLI, the demo and the benchmarks call these and nothing deeper.

Each takes a ``Session`` (config, roster, journal, connectors: opened once, all closed at
the end) and a typed request, talks to the person through an ``Interaction``, and returns a
typed result with its exit code. ``offboard.operations.demo`` is apart: it starts emulators.

The names are imported on first use (PEP 562), so that ``offboard --help`` loads none of the
machinery behind them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from offboard.apply.confirm import ConfirmRequest
    from offboard.operations.applying import apply_saved
    from offboard.operations.approving import ApproveRequest, ApproveResult, approvals, approve, approve_run, require_quorum
    from offboard.operations.auditing import AuditOutcome, AuditRequest, audit
    from offboard.operations.checks import Checkup, InstalledConnector, doctor, installed_connectors
    from offboard.operations.initializing import InitRequest, InitResult, init
    from offboard.operations.interaction import Interaction, Silent
    from offboard.operations.ledger import KeygenRequest, NewKey, VerifyRequest, keygen, verify
    from offboard.operations.reinstating import DueResult, ReinstateRequest, reinstate, reinstate_due
    from offboard.operations.reporting import ReportRequest, ShownReport, show_report
    from offboard.operations.resuming import ResumeResult, resume
    from offboard.operations.revoke import ExpelRequest, PlanResult, SuspendRequest, expel, suspend
    from offboard.operations.session import Session
    from offboard.operations.steps import QUICK_LOOK, ConfirmResult, RunDetail, RunList, confirm, status

_WHERE = {
    "offboard.apply.confirm": ("ConfirmRequest",),
    "offboard.operations.applying": ("apply_saved",),
    "offboard.operations.approving": ("ApproveRequest", "ApproveResult", "approvals", "approve", "approve_run", "require_quorum"),
    "offboard.operations.auditing": ("AuditOutcome", "AuditRequest", "audit"),
    "offboard.operations.checks": ("Checkup", "InstalledConnector", "doctor", "installed_connectors"),
    "offboard.operations.initializing": ("InitRequest", "InitResult", "init"),
    "offboard.operations.interaction": ("Interaction", "Silent"),
    "offboard.operations.ledger": ("KeygenRequest", "NewKey", "VerifyRequest", "keygen", "verify"),
    "offboard.operations.reinstating": ("DueResult", "ReinstateRequest", "reinstate", "reinstate_due"),
    "offboard.operations.reporting": ("ReportRequest", "ShownReport", "show_report"),
    "offboard.operations.resuming": ("ResumeResult", "resume"),
    "offboard.operations.revoke": ("ExpelRequest", "PlanResult", "SuspendRequest", "expel", "suspend"),
    "offboard.operations.session": ("Session",),
    "offboard.operations.steps": ("QUICK_LOOK", "ConfirmResult", "RunDetail", "RunList", "confirm", "status"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}
__all__ = [
    "QUICK_LOOK", "ApproveRequest", "ApproveResult", "AuditOutcome", "AuditRequest", "Checkup", "ConfirmRequest", "ConfirmResult",
    "DueResult", "ExpelRequest", "InitRequest", "InitResult", "InstalledConnector", "Interaction", "KeygenRequest",
    "NewKey", "PlanResult", "ReinstateRequest", "ReportRequest", "ResumeResult", "RunDetail",
    "RunList", "Session", "ShownReport", "Silent", "SuspendRequest", "VerifyRequest", "apply_saved", "approvals",
    "approve", "approve_run", "audit", "confirm", "doctor", "expel", "init", "installed_connectors", "keygen",
    "reinstate", "reinstate_due", "require_quorum", "resume", "show_report", "status", "suspend", "verify",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    globals()[name] = value  # once: later lookups (and a test's monkeypatch) see a plain attribute
    return value
