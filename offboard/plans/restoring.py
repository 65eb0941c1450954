"""Reinstatement plans: from what a member's suspension or expulsion changed, what puts them back. Read only.

What was changed is taken from two records that must agree: the verified ledger (signed reports,
``offboard.report.trusted``) says which runs revoked the member since their last reinstatement and
what each changed; this machine's journal holds those runs' actions in full (their params and
``before``). A report the journal does not match, or a run the journal does not hold, is refused:
a reinstatement reverses only what is on record.

Each connector then re-observes and proposes (``Connector.plan_restore``): what comes back, what is
already so, and what cannot come back and why. A person's step comes back as its reverse (the
manual connector). The plan names the reports it reverses (``Plan.reverses``), so that its own
report, and an approval of it, are bound to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from offboard.apply.journal import ActionRow, Journal
from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.clock import utc_now
from offboard.errors import OffboardError
from offboard.plans.discovery import member_entry
from offboard.plans.plan import Plan, SystemPlan
from offboard.spi import Action, Capability, Connector, Member, NotRestorable, State, describe

REVERSIBLE = ("suspend", "expel")  # the kinds of run a reinstatement reverses
REINSTATE = "reinstate"


@dataclass(frozen=True)
class Revoked:
    """One run that revoked the member, as its latest report in the ledger says, and its actions in the journal."""

    report: Mapping[str, Any]  # the verified document
    sha256: str
    plan: Plan  # the run's plan, as the journal recorded it
    applied: list[ActionRow]  # the actions it changed (a person's step: done and confirmed)

    @property
    def reference(self) -> dict[str, Any]:
        return {"seq": int(self.report.get("seq") or 0), "sha256": self.sha256, "run_id": self.report.get("run_id"),
                "kind": self.report.get("kind")}


@dataclass
class OnRecord:
    """Every run that revoked the member since their last reinstatement, oldest first."""

    member_id: str
    runs: list[Revoked] = field(default_factory=list)

    @property
    def latest(self) -> Revoked:
        return self.runs[-1]

    @property
    def reverses(self) -> dict[str, Any]:
        """What the plan and its report name: the latest report, and every revoking run's report it covers."""
        return {**self.latest.reference, "reports": [r.reference for r in self.runs]}

    @property
    def suspension(self) -> Mapping[str, Any] | None:
        """The terms of the latest suspension, when the member is suspended rather than expelled."""
        terms = self.latest.report.get("suspension")
        return terms if self.latest.report.get("kind") == "suspend" and isinstance(terms, Mapping) else None


def on_record(reports: Sequence[Mapping[str, Any]], hashes: Sequence[str], journal: Journal, member_id: str) -> OnRecord:
    """The member's revocations in force, from the verified ledger (``reports`` in seq order) and the journal."""
    latest: dict[str, tuple[Mapping[str, Any], str]] = {}  # run id -> its latest report, in run order
    last_reinstated: Mapping[str, Any] | None = None
    for report, sha256 in zip(reports, hashes, strict=True):
        if (report.get("member") or {}).get("id") != member_id:
            continue
        if report.get("kind") == REINSTATE:
            latest.clear()  # what came before is reinstated
            last_reinstated = report
        elif report.get("kind") in REVERSIBLE and report.get("run_id"):
            latest.pop(str(report["run_id"]), None)
            latest[str(report["run_id"])] = (report, sha256)
    if not latest:
        if last_reinstated is not None:
            raise OffboardError(f"{member_id} was reinstated by report {int(last_reinstated.get('seq') or 0):06d} and "
                                "has not been suspended or expelled since: there is nothing to reinstate")
        raise OffboardError(f"{member_id} has no suspension or expulsion in the ledger, so there is nothing to "
                            "reinstate: check the member id (offboard status MEMBER lists their runs)")
    record = OnRecord(member_id)
    for run_id, (report, sha256) in sorted(latest.items(), key=lambda item: int(item[1][0].get("seq") or 0)):
        record.runs.append(_revoked(journal, run_id, report, sha256))
    return record


def _revoked(journal: Journal, run_id: str, report: Mapping[str, Any], sha256: str) -> Revoked:
    seq = f"{int(report.get('seq') or 0):06d}"
    run = journal.run(run_id)
    if run is None:
        raise OffboardError(f"report {seq} records run {run_id}, which this machine's journal does not hold: run "
                            "reinstate where that run was made (the same state folder), so that what it changed is known")
    rows = journal.actions(run_id)
    signed = {(str(system.get("name")), str(action.get("id"))): action
              for system in report.get("systems") or [] for action in system.get("actions") or []}
    for row in rows:
        action = signed.get((row.system, row.action.id))
        if action is None or action.get("state") != row.state.value or action.get("before") != row.action.before:
            raise OffboardError(f"the journal's record of run {run_id} does not match its signed report {seq} "
                                f"({row.system} {row.action.id}), so nothing was planned: run `offboard verify`, and "
                                "reinstate where the run was made")
    if len(signed) != len(rows):
        raise OffboardError(f"the journal's record of run {run_id} does not match its signed report {seq} "
                            f"({len(rows)} actions, the report {len(signed)}), so nothing was planned")
    return Revoked(report, sha256, Plan.from_dict(run.plan), [r for r in rows if r.state is State.CHANGED])


def build_restore_plan(record: OnRecord, org: Mapping[str, str], member: Member,
                       connectors: Mapping[str, Connector], retry: RetryPolicy, skip_closing: str | None = None) -> Plan:
    """Ask each system's connector, at once, what puts back what the record's runs changed there.

    ``skip_closing``: why the closing steps (the notice of the reinstatement) are left out (``--no-notice``).
    """
    systems: dict[str, SystemPlan] = {}  # one per system, as the first run that touched it named it
    applied: dict[str, dict[str, Action]] = {}  # system -> action id -> the first change of it on record
    for run in record.runs:
        for planned in run.plan.systems:
            systems.setdefault(planned.system, planned)
        for row in run.applied:
            applied.setdefault(row.system, {}).setdefault(row.action.id, row.action)

    def restore(name: str) -> SystemPlan:
        connector = connectors.get(name)
        if skip_closing and connector is not None and connector.closing:
            planned = systems[name]
            return SystemPlan(name, planned.connector, planned.title, planned.account, note=f"skipped: {skip_closing}",
                              on_failure=planned.on_failure)
        return _restore_system(systems[name], list(applied.get(name, {}).values()), connector, retry)

    with ThreadPoolExecutor(max_workers=max(1, len(systems))) as pool:
        restored = list(pool.map(restore, systems))
    latest = record.latest.plan
    return Plan(kind=REINSTATE, created=utc_now(), org=dict(org), member=member_entry(member),
                playbook=dict(latest.playbook), systems=restored, reverses=record.reverses)


def _restore_system(recorded: SystemPlan, applied: list[Action], connector: Connector | None,
                    retry: RetryPolicy) -> SystemPlan:
    plan = SystemPlan(recorded.system, recorded.connector, recorded.title, recorded.account,
                      on_failure=recorded.on_failure)
    if not applied:
        plan.note = "nothing was changed here: nothing to put back"
        return plan
    why = None
    if connector is None:
        why = f"the {recorded.connector} connector is not configured any more: put it back by hand"
    elif Capability.RESTORE not in type(connector).capabilities:
        why = f"the {recorded.connector} connector cannot put access back: put it back by hand"
    elif recorded.account is None:
        why = "no account was recorded"
    if why is not None or connector is None or recorded.account is None:
        plan.lost = [NotRestorable(a.id, why or "") for a in applied]
        plan.note = why
        return plan
    account = recorded.account
    found = call_with_retries(lambda: connector.plan_restore(account, applied), retry)
    if found.error is not None or found.value is None:
        plan.note, plan.error = f"could not be read: {describe(found.error) if found.error else 'no answer'}", True
        return plan
    restoration = found.value
    summaries = {a.id: a.summary for a in applied}
    plan.actions, plan.lost = list(restoration.actions), list(restoration.lost)
    plan.already = [summaries.get(action_id, action_id) for action_id in restoration.already]
    if not plan.actions:
        plan.note = "nothing to put back: " + ("it is as it was" if not plan.lost else "what is left cannot come back")
    return plan
