"""``approve`` signs a saved plan's digest as one approver; ``approvals`` lists who did; ``require_quorum``
is what applying a saved plan asks before anything changes (``[approvals] required`` distinct approvers).

An approval binds the plan file as saved: nothing is planned again here. The approver uses their own
key (``--key PATH``, ``--key agent``, or ``$OFFBOARD_APPROVER_KEY``), never the report key of ``[signing]``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offboard.config import decode_text, read_bytes
from offboard.errors import Aborted, ConfigurationError, ExitCode, OffboardError
from offboard.operations.interaction import Interaction, Silent
from offboard.plans.plan import Plan

if TYPE_CHECKING:
    from offboard.approvals import Approvers, Quorum
    from offboard.config import ApprovalSettings
    from offboard.operations.session import Session
    from offboard.report.signing.keys import Signer

APPROVER_KEY_ENV = "OFFBOARD_APPROVER_KEY"
NOUNS = {"expel": "an expulsion", "suspend": "a suspension", "reinstate": "a reinstatement"}
NOT_CONFIGURED = ('approvals are not configured: add to {config} an [approvals] table with required = 2 (how many '
                  'distinct approvers a plan needs) and approvers = "keys/approvers" (an allowed_signers file, one line '
                  "per approver: PRINCIPAL ssh-ed25519 AAAA...)")


@dataclass(frozen=True)
class ApproveRequest:
    plan_file: Path
    key: str | None = None  # a private key file, or "agent"; default: $OFFBOARD_APPROVER_KEY
    as_principal: str | None = None  # default: the one principal the approvers file lists for the key
    decision: str | None = None  # what the committee decided, e.g. "minutes of 2026-11-28, item 4"
    yes: bool = False


@dataclass(frozen=True)
class ApproveResult:
    statement: Path  # FILE.approvals/<slug>.json; its signature is beside it (.json.sig)
    signature: Path
    principal: str
    fingerprint: str
    digest: str
    decision: str
    replaced: bool  # this approver had approved the plan before: their approval was signed again
    quorum: Quorum  # every approval of the plan, this one included

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK

    def to_dict(self) -> dict[str, Any]:
        return {"statement": str(self.statement), "signature": str(self.signature), "principal": self.principal,
                "fingerprint": self.fingerprint, "digest": self.digest, "decision": self.decision,
                "replaced": self.replaced, "quorum": self.quorum.to_dict()}


def approve(session: Session, request: ApproveRequest, ui: Interaction | None = None) -> ApproveResult:
    """Show the saved plan, have the approver type the member id, and sign its digest with their key."""
    from offboard.approvals import approval_namespace, read_approvals, sign_approval, signature_path, statement_path
    from offboard.approvals.statement import decision_problem

    ui = ui or Silent()
    settings = _settings(session)
    plan = _plan(session, request.plan_file)
    decision = (request.decision or "").strip()
    problem = decision_problem(decision)
    if problem:
        raise OffboardError(f"--decision cannot be signed: {problem}")
    approvers = load_approvers(session, settings)
    signer, principal = approver_identity(session, approvers, request.key, request.as_principal)
    member_id = str(plan.member.get("id"))
    ui.show_plan(plan)
    ui.note(f"Approving this {plan.kind} plan ({plan.digest}) as {principal} with key {signer.fingerprint}. Nothing is "
            f"changed now: `offboard apply` runs this exact plan once {settings.required} approver(s) have signed it.")
    if not request.yes and not ui.confirm_apply([member_id], len(plan.actions)):
        raise Aborted("nothing was signed")
    existed = statement_path(request.plan_file, principal).exists()
    namespace = approval_namespace(session.config.org_domain)
    path = sign_approval(request.plan_file, plan, principal, decision, signer, namespace, approvers)
    quorum = read_approvals(request.plan_file, plan.digest, approvers.text, namespace, required=settings.required,
                            member=member_id, kind=plan.kind, source=approvers.source)
    return ApproveResult(path, signature_path(path), principal, signer.fingerprint, plan.digest, decision, existed, quorum)


def approve_run(session: Session, run_id: str, request: ApproveRequest, ui: Interaction | None = None) -> ApproveResult:
    """An approval added after an emergency run: signed over the plan it applied, recorded with the run, whose next
    report says how many are still missing (the audit flags the run until none is)."""
    from offboard.apply.runs import find_run
    from offboard.operations.running import issue_report

    run = find_run(session.journal, run_id)
    later = [r for r in session.journal.runs(run.member_id, limit=10_000)
             if r.started > run.started and (r.kind == "reinstate") != (run.kind == "reinstate")]
    if later:  # its next report would come after the reversal, and read as the member's state
        raise OffboardError(f"run {run.id} was reversed since by run {later[-1].id} ({later[-1].kind}): approvals "
                            "added now would change nothing; approve the plans that are still to be applied")
    record = session.journal.approvals(run.id)
    if not record or not record.get("emergency"):
        raise OffboardError(f"run {run.id} was not applied in an emergency, so it needs no approval afterwards: "
                            "approve a saved plan with `offboard approve FILE`")
    plan_file = Path(str(record.get("plan_file")))
    if not plan_file.is_file() or Plan.load(plan_file).digest != record.get("digest"):
        raise OffboardError(f"run {run.id} applied the plan {record.get('digest')}, and {plan_file} no longer holds it: "
                            "bring that plan file back (and its .approvals folder) where the run was made")
    result = approve(session, replace(request, plan_file=plan_file), ui)
    with session.member_lock(run.member_id):
        emergency = record["emergency"]
        session.journal.record_approvals(run.id, approval_record(result.quorum, plan_file, emergency["reason"],
                                                                 emergency["by"]))
        issue_report(session, run.id)
    return result


def approvals(session: Session, plan_file: Path) -> Quorum:
    """Every approval of the saved plan: who approved with which key and decision, and what did not count and why."""
    settings = _settings(session)
    plan = _plan(session, plan_file)
    return _read(session, settings, plan_file, plan)


def require_quorum(session: Session, plan_path: Path, plan: Plan, emergency: bool = False) -> Quorum:
    """The approvals of ``plan`` (as loaded from ``plan_path``); ``QuorumNotMet`` (exit 1) short of
    ``[approvals] required``, naming who approved and how many are missing. With ``required = 0``
    (approvals off), an empty quorum that is met, and nothing is read. ``emergency``: one approver is
    enough (where ``[approvals] emergency = true``); the quorum still says how many are missing."""
    from offboard.approvals import Quorum, QuorumNotMet, approval_namespace

    settings = session.config.approvals
    if settings.required == 0:
        return Quorum(0, plan.digest, approval_namespace(session.config.org_domain))
    approvers = load_approvers(session, settings)
    quorum = _read(session, settings, plan_path, plan, approvers)
    if quorum.met or (emergency and quorum.approved):
        return quorum
    who = ", ".join(f"{a.principal} ({a.fingerprint})" for a in quorum.approved) or "nobody yet"
    many = "s" if quorum.missing != 1 else ""
    needed = "an emergency run needs 1 approver" if emergency else f"needs {quorum.required} distinct approvers"
    missing = 1 if emergency else quorum.missing
    message = (f"{plan_path} {needed} and has {len(quorum.approved)} ({who}): "
               f"{missing} more approval{many if not emergency else ''} needed, so nothing is applied. Each approver "
               f"runs: offboard approve {plan_path} --key PATH|agent; see who approved with: offboard approvals {plan_path}")
    if quorum.rejected:
        count = len(quorum.rejected)
        message += f" ({count} approval file{'s' if count != 1 else ''} did not count; it says why)"
    if len(approvers.names) < quorum.required:
        message += (f". The approvers file lists only {len(approvers.names)} approver(s): add the others to "
                    f"{approvers.source}, or lower [approvals] required")
    raise QuorumNotMet(message)


def approval_record(quorum: Quorum, plan_path: Path, emergency: str | None, operator: str) -> dict[str, Any]:
    """What a run's report records of the approvals it was applied under, an emergency's reason included."""
    record = {**quorum.to_dict(), "plan_file": str(plan_path.resolve())}
    if emergency is not None:
        record["emergency"] = {"reason": emergency, "by": operator}
    return record


def refuse_unapproved_run(session: Session, kind: str, member_id: str) -> None:
    """Where the committee's approval is required, a plan is applied only as saved and approved (``apply``)."""
    required = session.config.approvals.required
    if required:
        plan = f"{member_id}-{kind}.json"
        terms = " --until DATE --reason TEXT" if kind == "suspend" else ""
        raise OffboardError(
            f"[approvals] requires {required} approvers for {NOUNS.get(kind, kind)}, so it is not applied directly: save "
            f"the plan with `offboard {kind} {member_id}{terms} --save-plan {plan}`, have {required} approvers run "
            f"`offboard approve {plan} --key PATH|agent`, then run `offboard apply {plan}`")


def _settings(session: Session) -> ApprovalSettings:
    settings = session.config.approvals
    if not settings.configured:
        raise ConfigurationError(NOT_CONFIGURED.format(config=session.config.path.name))
    return settings


def _plan(session: Session, plan_file: Path) -> Plan:
    plan = Plan.load(plan_file)
    domain = str(plan.org.get("domain") or "")
    if domain.lower() != session.config.org_domain:
        raise ConfigurationError(f"plan file {plan_file} is a plan of {domain or 'no org'}, but {session.config.path.name} "
                                 f"is {session.config.org_domain}'s: use that org's config")
    return plan


def _read(session: Session, settings: ApprovalSettings, plan_path: Path, plan: Plan,
          approvers: Approvers | None = None) -> Quorum:
    from offboard.approvals import approval_namespace, read_approvals

    approvers = approvers or load_approvers(session, settings)
    return read_approvals(plan_path, plan.digest, approvers.text, approval_namespace(session.config.org_domain),
                          required=settings.required, member=str(plan.member.get("id")), kind=plan.kind,
                          source=approvers.source)


def load_approvers(session: Session, settings: ApprovalSettings) -> Approvers:
    """The approvers file of ``[approvals] approvers``, parsed and checked."""
    from offboard.approvals import Approvers

    path = settings.approvers
    if path is None:
        raise ConfigurationError(NOT_CONFIGURED.format(config=session.config.path.name))
    if not path.exists():
        raise ConfigurationError(f"approvers file {path} ([approvals] approvers) does not exist: create it with one line "
                                 "per approver, PRINCIPAL ssh-ed25519 AAAA... (their public key)")
    return Approvers.parse(decode_text(read_bytes(path, f"approvers file {path}"), f"approvers file {path}"), str(path))


def approver_identity(session: Session, approvers: Approvers, key: str | None,
                      as_principal: str | None) -> tuple[Signer, str]:
    """The approver's key (``--key``, else ``$OFFBOARD_APPROVER_KEY``) and their principal in the approvers file
    (``--as``, else the one listed for the key): what signs an approval or a confirmation."""
    wanted = None
    if as_principal is not None:
        wanted = approvers.spelling(as_principal)
        if wanted is None:
            raise OffboardError(f"{as_principal!r} is not an approver in {approvers.source} (approvers: "
                                f"{', '.join(sorted(approvers.names.values()))}): pass --as with one of them")
    signer = approver_signer(session, key, approvers, wanted)
    return signer, _principal(approvers, signer, wanted)


def _principal(approvers: Approvers, signer: Signer, wanted: str | None) -> str:
    """Who signs: ``--as`` when the key is listed for it, else the one principal the file lists for the key."""
    listed = approvers.principals_for(signer.public_key)
    if wanted is not None:
        if signer.public_key in approvers.keys_of(wanted):
            return wanted
        others = f" (it is listed for {', '.join(listed)})" if listed else ""
        raise OffboardError(f"key {signer.fingerprint} is not listed for {wanted} in {approvers.source}{others}: "
                            f"sign with {wanted}'s own key")
    if not listed:
        raise OffboardError(f"key {signer.fingerprint} is not in the approvers file {approvers.source}: ask the "
                            f"committee to add your line to it: PRINCIPAL {signer.public_key_line}")
    if len(listed) > 1:
        raise OffboardError(f"key {signer.fingerprint} is listed for several approvers ({', '.join(listed)}): "
                            "pass --as PRINCIPAL")
    return listed[0]


def approver_signer(session: Session, key: str | None, approvers: Approvers, wanted: str | None) -> Signer:
    """The approver's own key: a private key file, or one held by ssh-agent that the approvers file lists."""
    from offboard.report.signing.keys import FileKeySigner

    chosen = (key or session.environ.get(APPROVER_KEY_ENV) or "").strip()
    if not chosen:
        raise OffboardError(f"whose approval? pass --key PATH (your own SSH private key) or --key agent, or set "
                            f"${APPROVER_KEY_ENV}")
    if chosen == "agent":
        return _agent_signer(session, approvers, wanted)
    path = Path(chosen).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise OffboardError(f"approver key {path} {what}: pass --key with your own SSH private key file, or --key agent")
    try:
        return FileKeySigner.from_file(path, lambda: _passphrase(path))
    except OffboardError as exc:
        if "[signing]" not in str(exc):
            raise
        raise OffboardError(f"approver key {path} is not a usable OpenSSH private key: pass --key with your own "
                            "Ed25519, ECDSA or RSA private key file, or --key agent") from None


def _passphrase(path: Path) -> str:
    from offboard.report.signing.keys import tty_prompt

    answer = tty_prompt(f"Passphrase for {path}: ")
    if answer is None:
        raise OffboardError(f"{path} is protected by a passphrase and there is no terminal to ask it on: ssh-add it "
                            "and pass --key agent")
    return answer


def _agent_signer(session: Session, approvers: Approvers, wanted: str | None) -> Signer:
    from offboard.report.signing.agent import AgentClient
    from offboard.report.signing.keys import AgentSigner

    socket_path = session.environ.get("SSH_AUTH_SOCK", "")
    if not socket_path:
        raise OffboardError('--key agent but SSH_AUTH_SOCK is not set: start ssh-agent (eval "$(ssh-agent)") and '
                            "ssh-add your approver key")
    agent = AgentClient(socket_path)
    held = agent.identities()
    keys = approvers.keys_of(wanted) if wanted else [e.key for e in approvers.entries]
    found = list({i.key: i for i in held if i.key in keys}.values())
    if not found:
        holds = ", ".join(i.fingerprint for i in held) or "no keys"
        whose = f" for {wanted}" if wanted else ""
        raise OffboardError(f"ssh-agent holds no key that {approvers.source} lists{whose} (it holds {holds}): ssh-add "
                            "your approver key")
    if len(found) > 1 and not wanted:
        listed = ", ".join(f"{i.fingerprint} ({', '.join(approvers.principals_for(i.key))})" for i in found)
        raise OffboardError(f"ssh-agent holds several approver keys ({listed}): pass --as PRINCIPAL")
    return AgentSigner(agent, found[0])
