"""Where runs stand, and the steps people do: status and confirm."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from offboard.apply.confirm import ConfirmRequest, Signing, confirm_steps
from offboard.apply.journal import ActionRow, RunRow
from offboard.apply.retry import RetryPolicy
from offboard.apply.runs import RunSummary, find_run, summarize
from offboard.apply.states import RunStatus
from offboard.errors import ExitCode, OffboardError, RunLocked
from offboard.operations.running import issue_report, refresh_one_run, refresh_waiting_runs
from offboard.operations.session import Session
from offboard.spi import Member

RECENT = 20
#: how `status` looks at systems: once more after a fault at most, never the minutes a run may wait
QUICK_LOOK = RetryPolicy(max_attempts=2, max_seconds=10.0)


@dataclass
class RunList:
    runs: list[tuple[RunRow, RunStatus]]  # each run with where it stands, as ``status RUN`` says it
    waiting: list[RunSummary] = field(default_factory=list)  # the unfinished ones, with what each waits on
    closed: dict[str, int] = field(default_factory=dict)  # steps the systems showed done, closed just now
    member: Member | None = None  # ``status MEMBER``: only their runs
    exit_code: ExitCode = ExitCode.OK


@dataclass
class RunDetail:
    summary: RunSummary
    actions: list[ActionRow]

    @property
    def exit_code(self) -> ExitCode:
        return self.summary.exit_code


def status(session: Session, target: str | None = None) -> RunList | RunDetail:
    """Where runs stand. No target: the recent runs and every unfinished one with what it waits on (the
    steps systems close themselves are looked at again first). A run id: that run. A member: their runs."""
    if target is not None and session.journal.find_run(target):
        return _detail(session, find_run(session.journal, target).id)
    member = _member(session, target) if target is not None else None
    closed = refresh_waiting_runs(session) if member is None else {}
    member_id = member.id if member else None
    recent = session.journal.runs(member_id, limit=RECENT)
    summaries = [summarize(session.journal, r.id) for r in recent]
    unfinished = [s for s in summaries if s.status is not RunStatus.COMPLETE]
    shown = {r.id for r in recent}
    unfinished += [summarize(session.journal, r.id) for r in session.journal.interrupted_runs(member_id) if r.id not in shown]
    return RunList([(s.run, s.status) for s in summaries], unfinished, closed, member)


def _member(session: Session, target: str) -> Member:
    try:
        return session.member(target)
    except OffboardError:
        raise OffboardError(f"no run and no member '{target}': list runs with `offboard status`") from None


def _detail(session: Session, run_id: str) -> RunDetail:
    with suppress(RunLocked):  # the run is going on right now: show it as it stands
        refresh_one_run(session, run_id)
    return RunDetail(summarize(session.journal, run_id), session.journal.actions(run_id))


@dataclass
class ConfirmResult:
    steps: list[tuple[ActionRow, bool]]  # each step confirmed, and whether it is now closed (else: a second person)
    by: str
    summary: RunSummary
    principal: str = ""  # signed: as whom (spelled as in the approvers file), and with which key
    fingerprint: str = ""
    keyed: bool = False  # [approvals] approvers is configured: a second confirmer signs with their own key

    @property
    def step(self) -> ActionRow:
        return self.steps[0][0]

    @property
    def closed(self) -> bool:
        """Every step named is closed."""
        return all(closed for _, closed in self.steps)

    @property
    def exit_code(self) -> ExitCode:
        return self.summary.exit_code if self.closed else ExitCode.WAITING


def confirm(session: Session, run_id: str, request: ConfirmRequest) -> ConfirmResult:
    """Record a person's confirmation of one manual step, or of several at once (``request.also``): all are
    checked before any is recorded, and the steps it closes issue one report, not one each.

    Where ``[approvals] approvers`` is configured, ``request.key`` (or ``$OFFBOARD_APPROVER_KEY``) signs it
    as one approver; a step that needs a second confirmer then takes signed confirmations only."""
    run = find_run(session.journal, run_id)
    signing = _signing(session, request)
    with session.member_lock(run.member_id):  # never while a run of the member hands its steps over
        steps = confirm_steps(session.journal, run.id, request.batch, os_user=session.operator, signing=signing)
        if any(closed for _, closed in steps):
            issue_report(session, run.id)
        principal = signing.principal if signing and signing.signer else ""
        fingerprint = signing.signer.fingerprint if signing and signing.signer else ""
        return ConfirmResult(steps, request.by.strip() or principal, summarize(session.journal, run.id),
                             principal, fingerprint, signing is not None)


def _signing(session: Session, request: ConfirmRequest) -> Signing | None:
    """With approvers configured: how this confirmation is signed (not at all without a key); None without them."""
    from offboard.approvals import approval_namespace
    from offboard.operations.approving import APPROVER_KEY_ENV, approver_identity, load_approvers

    settings = session.config.approvals
    if not settings.configured:
        if request.key is not None or request.as_principal is not None:
            option = "--key" if request.key is not None else "--as"
            raise OffboardError(f"{option} signs a confirmation as one of the approvers of [approvals] approvers, which "
                                f"{session.config.path.name} does not configure: confirm with --by NAME, or configure "
                                "approvers")
        return None
    namespace = approval_namespace(session.config.org_domain)
    if request.key is None and not session.environ.get(APPROVER_KEY_ENV, "").strip():
        if request.as_principal is not None:
            raise OffboardError("--as PRINCIPAL says whose key signs: pass --key PATH|agent with it")
        return Signing(namespace)
    approvers = load_approvers(session, settings)
    signer, principal = approver_identity(session, approvers, request.key, request.as_principal)
    return Signing(namespace, approvers, signer, principal)
