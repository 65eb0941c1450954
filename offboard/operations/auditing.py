"""The audit: every account against the roster and the ledger; ``--fix`` expels what was revoked but is active."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Any

from offboard.apply.retry import call_with_retries
from offboard.apply.runs import RunSummary
from offboard.audit import AuditResult, find_notifier, notification, run_audit
from offboard.audit.settings import audit_settings, notify_settings
from offboard.errors import ConfigurationError, ExitCode, OffboardError
from offboard.operations.interaction import Interaction, Silent
from offboard.operations.running import apply_new_plans, refuse_if_interrupted, require_signing
from offboard.operations.session import Session
from offboard.operations.together import Planned, all_connectors, at_once, lock_each
from offboard.plans.discovery import build_plan
from offboard.plans.plan import Plan
from offboard.plans.playbook import Playbook
from offboard.report.ledger import Ledger, ReportFiles
from offboard.report.trusted import trusted_ledger
from offboard.spi import Capability, Member


@dataclass(frozen=True)
class AuditRequest:
    fix: bool = False  # plan and apply each revoked member's playbook for revoked-but-active accounts
    dry_run: bool = False  # with fix: show the plans only; a preview writes no report and posts nothing
    yes: bool = False  # with fix: do not ask
    playbook: str | None = None  # what fix follows; None: expel for expelled members, suspend for suspended ones
    notify: bool = False  # post a summary to [notify] slack_channel
    unsigned: bool = False
    can_ask: bool = False  # a person is at a terminal to confirm each fix


@dataclass
class Fix:
    member_id: str
    plan: Plan | None = None
    run: RunSummary | None = None  # None in a dry run
    error: str | None = None  # why this member could not be fixed; the others still were


@dataclass
class AuditOutcome:
    result: AuditResult
    report: ReportFiles | None  # None: a dry run, which writes no report
    document: dict[str, Any]  # the audit report's content (signed, but for a dry run)
    notify_error: str | None = None
    fixes: list[Fix] = field(default_factory=list)

    @property
    def exit_code(self) -> ExitCode:
        if self.notify_error:
            return ExitCode.ERROR
        return ExitCode.FAILED if any(f.error for f in self.fixes) else ExitCode(self.result.exit_code)


def audit(session: Session, request: AuditRequest, ui: Interaction | None = None) -> AuditOutcome:
    """Reconcile, sign the audit report, notify, and fix: all refusals come before anything is read."""
    ui = ui or Silent()
    settings = audit_settings(session.config)
    channel = notify_settings(session.config).slack_channel
    if request.dry_run and not request.fix:
        raise OffboardError("--dry-run previews the plans of --fix (the audit itself changes nothing): add --fix")
    if request.fix and not (request.yes or request.dry_run) and not request.can_ask:
        raise OffboardError("--fix asks before applying, but there is no terminal: review with --fix --dry-run, "
                            "then pass --yes")
    if request.notify and not channel:
        raise ConfigurationError('--notify needs a channel: add [notify] slack_channel = "#channel" to the config')
    if not request.dry_run:  # a dry run signs nothing
        require_signing(session, request.unsigned)
    connectors = session.configured_connectors()
    name = session.config.path.name
    unknown = sorted({r.system for r in settings.exceptions} - set(connectors))
    if unknown:
        raise ConfigurationError(f"{name}: [[audit.exceptions]] name system(s) {', '.join(unknown)}, "
                                 f"which have no [connectors.NAME] table (configured: {', '.join(connectors) or 'none'})")
    if not any(Capability.INVENTORY in type(c).capabilities for c in connectors.values()):
        raise ConfigurationError(f"{name}: nothing to audit: no configured connector lists its accounts "
                                 f"(configured: {', '.join(connectors) or 'none'}); add a [connectors.NAME] table")
    notifier = find_notifier(connectors) if request.notify else None
    with session.lock("audit", "an audit"):
        ledger = trusted_ledger(session.config, session.journal)  # verified, or the audit stops here
        if ledger.warning:
            ui.note(ledger.warning)
        result = run_audit(list(session.roster), ledger.reports, connectors, settings.exceptions, session.retry)
        document = {**result.to_document(session.org, session.operator), "ledger": ledger.to_dict()}
        files = None
        if not request.dry_run:  # a preview leaves no trace: no report, no post
            files = Ledger(session.config.reports_dir).append(document, session.signer)
            session.journal.add_report(result.audit_id, files.seq, files.json_path, files.sha256)
        outcome = AuditOutcome(result, files, document)
        ui.show_audit(result, files)
        if notifier is not None and files is not None:
            text = notification(result, session.config.org_name, files.seq)
            posted = call_with_retries(lambda: notifier.notify(channel, text), session.retry)
            if posted.error is not None:
                outcome.notify_error = f"could not post the summary to {channel}: {posted.error}"
        if request.fix:
            outcome.fixes = _fix(session, result, request, ui)
    return outcome


def _fix(session: Session, result: AuditResult, request: AuditRequest, ui: Interaction) -> list[Fix]:
    """Each member's playbook (``expel``, or ``suspend`` for a suspended member: nothing that cannot come back),
    limited to the systems where their account is still active.

    The same path as ``offboard expel A B C``: the members are planned together and shown, confirmed once (their
    ids typed, or ``yes``), each under their lock, and their runs executed as one (everyone's access cut first),
    a signed report each. A member who cannot be fixed is said so; the others still are.
    """
    systems: dict[str, list[str]] = {}
    for finding in result.revoked_but_active():
        systems.setdefault(finding.member or "", []).append(finding.system)
    fixes = {member_id: Fix(member_id) for member_id in systems}
    fixing: list[tuple[Member, str, Playbook]] = []
    for member_id, names in systems.items():
        try:
            fixing.append(_what_to_fix(session, result, request, member_id, names))
        except OffboardError as exc:  # one member that cannot be fixed does not stop the others
            fixes[member_id].error = str(exc)
    with ExitStack() as locks:
        busy = lock_each(locks, session, [person.id for person, _, _ in fixing])  # a run going on: the others go on
        planned: list[tuple[Member, Callable[[], Planned]]] = []
        for person, kind, book in fixing:
            try:
                if person.id in busy:
                    raise busy[person.id]
                refuse_if_interrupted(session, person.id, "then audit again")
                planned.append((person, _planning(session, kind, person, book)))
            except OffboardError as exc:
                fixes[person.id].error = str(exc)
        plans = at_once([plan_it for _, plan_it in planned])
        for (person, _), made in zip(planned, plans, strict=True):
            fixes[person.id].plan = made[0]
        ui.show_plans([plan for plan, _ in plans])
        if plans and not request.dry_run:
            runs = apply_new_plans(session, [plan for plan, _ in plans], all_connectors(plans), request.yes, ui)
            for (person, _), run in zip(planned, runs, strict=True):
                fixes[person.id].run = run
    return list(fixes.values())


def _what_to_fix(session: Session, result: AuditResult, request: AuditRequest, member_id: str,
                 names: list[str]) -> tuple[Member, str, Playbook]:
    """The member, the kind of their revocation, and their playbook limited to ``names``; or why not."""
    person = session.member(member_id)
    revocation = result.revoked[person.id]
    book = session.playbook(request.playbook or revocation.kind)
    if session.config.approvals.required and revocation.run_id is None:  # the roster alone is nobody's approval
        raise OffboardError(f"{person.id} is {revocation.word} by the roster only, and [approvals] requires approved "
                            f"plans: --fix ends access only where the ledger records an approved run; run `offboard "
                            f"{revocation.kind} {person.id} --save-plan FILE` and have it approved")
    steps = tuple(step for step in book.steps if step.system in names)
    if not steps:
        raise OffboardError(f"the playbook {book.name} has no step for {', '.join(names)}: --fix cannot end "
                            f"{person.id}'s access there")
    return person, revocation.kind, replace(book, steps=steps)


def _planning(session: Session, kind: str, person: Member, book: Playbook) -> Callable[[], Planned]:
    """Reading the member's systems of ``book``, to run beside the other members'."""
    connectors = session.connectors_for(book)
    return lambda: (build_plan(kind, session.org, person, book, connectors, session.retry), connectors)
