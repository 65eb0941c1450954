"""The audit: every system's accounts reconciled with the roster and the signed-report ledger.

- ``facts``: what the verified ledger says (who is revoked since and until when, who was reinstated, open manual steps);
- ``situations``: situations, severities, findings and exception hits;
- ``matching``: accounts of one system to roster members;
- ``inventory``: a connector's inventory page by page, and discovery, with the engine's retries;
- ``reconcile``: accounts to situations, and ``run_audit`` over every connector;
- ``result``: the audit's result, status and report document;
- ``notify``: the ``--notify`` summary and the connector that posts it;
- ``settings``: the ``[audit]`` and ``[notify]`` config tables.
"""

from offboard.audit.facts import LedgerFacts, PendingStep, Reinstatement, Revocation, read_ledger, revocations
from offboard.audit.inventory import stream_inventory
from offboard.audit.notify import find_notifier, notification
from offboard.audit.reconcile import run_audit
from offboard.audit.result import AuditResult, AuditStatus, SystemAudit
from offboard.audit.settings import AccountException, AuditSettings, NotifySettings, audit_settings, notify_settings
from offboard.audit.situations import ExceptionHit, Finding, Severity, Situation

__all__ = [
    "AccountException", "AuditResult", "AuditSettings", "AuditStatus", "ExceptionHit", "Finding", "LedgerFacts",
    "NotifySettings", "PendingStep", "Reinstatement", "Revocation", "Severity", "Situation", "SystemAudit", "audit_settings",
    "find_notifier", "notification", "notify_settings", "read_ledger", "revocations", "run_audit", "stream_inventory",
]
