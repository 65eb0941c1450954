"""Revoking access: expel or suspend members by playbook; one member, or several together."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import partial as bind
from pathlib import Path
from typing import Protocol

from offboard.apply.handover import notices_sent
from offboard.apply.runs import RunSummary, summarize, unfinished_run
from offboard.apply.states import RunStatus
from offboard.clock import today
from offboard.errors import Aborted, ConfigurationError, ExitCode, OffboardError, worst
from offboard.operations.approving import refuse_unapproved_run
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.resuming import finish_run
from offboard.operations.running import apply_new_plan, apply_new_plans, refuse_if_interrupted, require_signing
from offboard.operations.session import Session
from offboard.operations.together import at_once, distinct_members, member_locks
from offboard.plans.discovery import build_plan
from offboard.plans.plan import Plan, SystemPlan
from offboard.plans.playbook import Playbook
from offboard.spi import Connector, Member


@dataclass(frozen=True)
class ExpelRequest:
    member: str  # an id or email, as in the roster
    playbook: str = "expel"  # a name or a path
    dry_run: bool = False
    save_plan: Path | None = None
    yes: bool = False  # do not ask before applying
    unsigned: bool = False  # go ahead without a signing key
    partial: bool = False  # apply what could be read; the systems that could not be read wait for `resume`
    no_notice: bool = False  # leave the written notice out (the report says so, and who did)
    also: tuple[str, ...] = ()  # other members expelled with this one: planned together, everyone cut first


@dataclass(frozen=True)
class SuspendRequest:
    member: str
    until: str  # the suspension's last day, YYYY-MM-DD (UTC)
    reason: str  # why, as the committee decided: the report records it
    playbook: str = "suspend"
    dry_run: bool = False
    save_plan: Path | None = None
    yes: bool = False
    unsigned: bool = False
    partial: bool = False
    no_notice: bool = False
    also: tuple[str, ...] = ()  # other members suspended with this one, on the same terms


@dataclass
class PlanResult:
    """A planned change of a member's access: shown, saved, or applied (then ``run``). Members planned together
    each have theirs: the first member's here, the others' in ``others``."""

    plan: Plan | None  # None when an interrupted run was finished instead
    saved_to: Path | None = None
    run: RunSummary | None = None  # when something was applied
    others: list[PlanResult] = field(default_factory=list)

    @property
    def each(self) -> list[PlanResult]:
        """Every member's result, in the order they were given."""
        return [self, *self.others]

    @property
    def unread(self) -> list[SystemPlan]:
        """Systems that could not be read: never "nothing to do"."""
        return [s for s in self.plan.systems if s.error] if self.plan else []

    @property
    def exit_code(self) -> ExitCode:
        return worst(result.own_exit_code for result in self.each)

    @property
    def own_exit_code(self) -> ExitCode:
        """This member's alone."""
        if self.run:
            return self.run.exit_code
        return ExitCode.ERROR if self.unread else ExitCode.OK


def expel(session: Session, request: ExpelRequest, ui: Interaction | None = None) -> PlanResult:
    """Plan the member's expulsion by playbook; show it; then save it, stop (dry run), or apply it."""
    return _revoke(session, "expel", request, None, ui or Silent())


def suspend(session: Session, request: SuspendRequest, ui: Interaction | None = None) -> PlanResult:
    """Plan the member's suspension until a date, by the suspend playbook; as ``expel`` does, with its terms."""
    terms = suspension_terms(request.until, request.reason)  # before anything is read or written
    revoke = ExpelRequest(request.member, request.playbook, request.dry_run, request.save_plan, request.yes,
                          request.unsigned, request.partial, request.no_notice, request.also)
    return _revoke(session, "suspend", revoke, terms, ui or Silent())


def suspension_terms(until: str, reason: str) -> dict[str, str]:
    """``until`` a real date, today or later, and a reason: what the plan, its report and the audit carry."""
    try:
        last_day = date.fromisoformat(until.strip())
    except ValueError:
        raise OffboardError(f"--until {until!r} is not a date: give the suspension's last day as YYYY-MM-DD, "
                            f"e.g. {today() + timedelta(days=30)}") from None
    if last_day < today():
        raise OffboardError(f"--until {last_day} has passed: give the suspension's last day, today ({today()}) or later")
    if not reason.strip():
        raise OffboardError("--reason is empty: say why the member is suspended, as the committee decided "
                            "(the signed report records it)")
    return {"until": last_day.isoformat(), "reason": reason.strip()}


def _revoke(session: Session, kind: str, request: ExpelRequest, terms: dict[str, str] | None,
            ui: Interaction) -> PlanResult:
    if request.also:
        return _revoke_together(session, kind, request, terms, ui)
    if request.save_plan:
        Plan.check_save_path(request.save_plan)  # before anything is read or written
    person = session.member(request.member)
    book = session.playbook(request.playbook)
    connectors = session.connectors_for(book)

    def plan_it() -> tuple[Plan, Mapping[str, Connector]]:
        _mention_waiting_run(session, person.id, ui)
        return _plan_member(session, kind, person, book, connectors, terms, request.no_notice), connectors

    def findable(plan: Plan) -> None:
        if not plan.playbook["ref"]:
            raise ConfigurationError(f"the playbook {book.path} is outside the config's folder, so another clone "
                                     "could not find it to apply the plan: copy it into playbooks/ beside the "
                                     "config and plan again")

    return decide(session, kind, person.id, request, plan_it, ui, request.partial, findable)


def _plan_member(session: Session, kind: str, person: Member, book: Playbook, connectors: Mapping[str, Connector],
                 terms: Mapping[str, str] | None, leave_notice_out: bool) -> Plan:
    """The member's plan by playbook, with the terms the written notice names."""
    told = {**(terms or {}), "decided": today().isoformat(), "sent": notices_sent(session.journal, person.id, kind)}
    return build_plan(kind, session.org, person, book, connectors, session.retry, told,
                      no_notice(session, leave_notice_out))


def _revoke_together(session: Session, kind: str, request: ExpelRequest, terms: dict[str, str] | None,
                     ui: Interaction) -> PlanResult:
    """Several members by one playbook (see ``offboard.operations.together``): refused as a whole before anything
    is changed; a plan, run and report each."""
    if request.save_plan:
        raise OffboardError("--save-plan saves one member's plan: save each member's with its own command "
                            f"(offboard {kind} MEMBER --save-plan FILE), or leave it out to apply them together")
    people = distinct_members(session, [request.member, *request.also])
    book = session.playbook(request.playbook)
    connectors = session.connectors_for(book)
    applying = not request.dry_run
    if applying:
        require_signing(session, request.unsigned)
    with member_locks(session, [person.id for person in people]):
        for person in people:
            if applying:
                refuse_if_interrupted(session, person.id, "nothing was changed")
                refuse_unapproved_run(session, kind, person.id)
            _mention_waiting_run(session, person.id, ui)
        plans = at_once([bind(_plan_member, session, kind, person, book, connectors, terms, request.no_notice)
                         for person in people])
        ui.show_plans(plans)
        if applying:
            for plan in plans:
                try:
                    refuse_unread(plan, request.partial)
                except OffboardError as exc:  # whose plan it is: several were shown
                    raise OffboardError(f"{plan.member['id']}: {exc}") from None
            runs = apply_new_plans(session, plans, connectors, request.yes, ui)
        results = [PlanResult(plan, run=runs[i] if applying else None) for i, plan in enumerate(plans)]
    return replace(results[0], others=results[1:])


class Handling(Protocol):
    """What a request says to do with its new plan: show it (``dry_run``), save it, or apply it."""

    @property
    def dry_run(self) -> bool: ...
    @property
    def save_plan(self) -> Path | None: ...
    @property
    def yes(self) -> bool: ...  # apply without asking
    @property
    def unsigned(self) -> bool: ...  # apply without a signing key


def decide(session: Session, kind: str, member_id: str, request: Handling,
           plan_it: Callable[[], tuple[Plan, Mapping[str, Connector]]], ui: Interaction, partial: bool = False,
           check_saveable: Callable[[Plan], None] | None = None) -> PlanResult:
    """The one way a new plan of any kind is made and handled: under the member's lock, an interrupted run is
    finished instead and an unapproved one refused (when applying), then the plan is shown and saved, left
    (dry run), or applied to its signed report. ``plan_it`` reads the systems; ``partial``: systems that could
    not be read wait for ``resume``."""
    applying = not (request.dry_run or request.save_plan)
    if applying:
        require_signing(session, request.unsigned)
    with session.member_lock(member_id):
        if applying and (finished := finish_interrupted_instead(session, member_id, request.yes, ui)):
            return finished
        if applying:
            refuse_unapproved_run(session, kind, member_id)
        plan, connectors = plan_it()
        ui.show_plan(plan)
        if request.save_plan:
            if check_saveable is not None:
                check_saveable(plan)
            return save(session, plan, request.save_plan)
        if request.dry_run:
            return PlanResult(plan)
        refuse_unread(plan, partial)
        return PlanResult(plan, run=apply_new_plan(session, plan, connectors, request.yes, ui))


def no_notice(session: Session, asked: bool) -> str | None:
    """Why the written notice is left out of the plan, as its report says: ``--no-notice``, and by whom."""
    return f"--no-notice, by {session.operator}" if asked else None


def finish_interrupted_instead(session: Session, member_id: str, yes: bool, ui: Interaction) -> PlanResult | None:
    """A new run never starts beside an interrupted one of the member: that one is finished instead (asked first)."""
    interrupted = unfinished_run(session.journal, member_id)
    if interrupted is None:
        return None
    state = summarize(session.journal, interrupted.id).status
    ui.note(f"Run {interrupted.id} for {member_id} is unfinished ({state}); finishing it instead of starting again.")
    if not yes and not ui.confirm_resume(interrupted.id, member_id):
        raise Aborted("nothing was changed")
    return PlanResult(None, run=finish_run(session, interrupted.id, ui, yes))


def save(session: Session, plan: Plan, path: Path) -> PlanResult:
    """Write the plan for ``offboard apply`` (and approvals), and remember it was saved here."""
    plan.save(path)
    session.journal.record_saved_plan(plan.digest, plan.member["id"], path.resolve(), plan.to_dict())
    return PlanResult(plan, saved_to=path)


def refuse_unread(plan: Plan, partial: bool) -> None:
    """A system that could not be read is never "nothing to do": a real run needs --partial to go without it."""
    unread = [s for s in plan.systems if s.error]
    if unread and not partial:
        raise OffboardError(
            f"{'; '.join(f'{s.system} {s.note}' for s in unread)}, so nothing was changed. Fix that and run again, "
            "or pass --partial to cut the systems that could be read now and read the others later with "
            "`offboard resume RUN`")


def _mention_waiting_run(session: Session, member_id: str, ui: Interaction) -> None:
    """A new run is fine, but the operator should know what an earlier one left (its manual steps carry over)."""
    latest = session.journal.runs(member_id, limit=1)
    if latest and latest[0].status is RunStatus.INCOMPLETE:
        waiting = len(summarize(session.journal, latest[0].id).manual)
        ui.note(f"Note: run {latest[0].id} for {member_id} still waits on {waiting} manual step(s): "
                f"offboard status {latest[0].id}")
    elif latest and latest[0].status is RunStatus.FAILED:
        ui.note(f"Note: run {latest[0].id} for {member_id} ended failed; this run plans again from what the systems "
                f"show now (or finish that one with: offboard resume {latest[0].id})")
