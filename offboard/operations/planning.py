"""How a plan of each kind is made again: by playbook (expel, suspend), or from the record (reinstate)."""

from __future__ import annotations

from offboard.apply.handover import notices_sent
from offboard.operations.session import Session
from offboard.plans.discovery import build_plan
from offboard.plans.plan import Plan
from offboard.plans.restoring import build_restore_plan, on_record
from offboard.report.trusted import trusted_ledger
from offboard.spi import Connector, Member


def plan_reinstatement(session: Session, person: Member,
                       skip_closing: str | None = None) -> tuple[Plan, dict[str, Connector]]:
    """The reinstatement plan and the connectors it needs; refused when the ledger does not verify."""
    ledger = trusted_ledger(session.config, session.journal)
    record = on_record(ledger.reports, ledger.hashes, session.journal, person.id)
    connectors: dict[str, Connector] = {}
    for run in record.runs:
        connectors.update(session.connectors_for_plan(run.plan))
    return build_restore_plan(record, session.org, person, connectors, session.retry, skip_closing), connectors


def plan_again(session: Session, saved: Plan, person: Member) -> tuple[Plan, dict[str, Connector]]:
    """A fresh plan of the saved plan's kind, for the same member and terms, to compare with the saved one."""
    if saved.kind == "reinstate":
        connectors = session.connectors_for_plan(saved)
        return plan_reinstatement(session, person, _skipped(saved, connectors))
    book = session.saved_playbook(str(saved.playbook.get("ref") or saved.playbook.get("name")))
    connectors = session.connectors_for(book)
    terms = {**(saved.suspension or {}), "decided": saved.created[:10],  # the date the saved notice names
             "sent": notices_sent(session.journal, person.id, saved.kind)}
    fresh = build_plan(saved.kind, session.org, person, book, connectors, session.retry, terms,
                       _skipped(saved, connectors))
    return fresh, connectors


def _skipped(saved: Plan, connectors: dict[str, Connector]) -> str | None:
    """Why the saved plan left its closing step (the notice) out, to leave it out again; None: it did not."""
    return next((note.removeprefix("skipped: ") for s in saved.systems
                 if (c := connectors.get(s.system)) is not None and c.closing
                 and (note := s.note or "").startswith("skipped: ")), None)
