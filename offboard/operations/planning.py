"""How a plan of each kind is made again: by playbook (expel, suspend), or from the record (reinstate)."""

from __future__ import annotations

from offboard.operations.session import Session
from offboard.plans.discovery import build_plan
from offboard.plans.plan import Plan
from offboard.plans.restoring import build_restore_plan, on_record
from offboard.report.trusted import trusted_ledger
from offboard.spi import Connector, Member


def plan_reinstatement(session: Session, person: Member) -> tuple[Plan, dict[str, Connector]]:
    """The reinstatement plan and the connectors it needs; refused when the ledger does not verify."""
    ledger = trusted_ledger(session.config, session.journal)
    record = on_record(ledger.reports, ledger.hashes, session.journal, person.id)
    connectors: dict[str, Connector] = {}
    for run in record.runs:
        connectors.update(session.connectors_for_plan(run.plan))
    return build_restore_plan(record, session.org, person, connectors, session.retry), connectors


def plan_again(session: Session, saved: Plan, person: Member) -> tuple[Plan, dict[str, Connector]]:
    """A fresh plan of the saved plan's kind, for the same member and terms, to compare with the saved one."""
    if saved.kind == "reinstate":
        return plan_reinstatement(session, person)
    book = session.saved_playbook(str(saved.playbook.get("ref") or saved.playbook.get("name")))
    connectors = session.connectors_for(book)
    fresh = build_plan(saved.kind, session.org, person, book, connectors, session.retry)
    fresh.suspension = saved.suspension if saved.kind == "suspend" else None
    return fresh, connectors
