"""Discovery: resolve the member in each system of the playbook and read what must change. Read only.

Retries are per read: a connector wraps each request of ``resolve`` and ``discover`` in
``ConnectorContext.read`` (the engine's retry, the budget of one action each, honouring
``Retry-After``), so a throttled list is read again on its own instead of the whole
discovery starting over. A read that spent its budget fails that system's discovery at once
(its error is marked spent, and ``call_with_retries`` does not start over); only a
``RetriableError`` that was not retried on its own (a connector that does not wrap its reads)
still gets the whole ``resolve`` or ``discover`` retried, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import replace
from typing import Any, Protocol

from offboard.apply.retry import RetryPolicy, call_with_retries
from offboard.clock import utc_now
from offboard.plans.plan import NOT_CONFIGURED, Plan, SystemPlan
from offboard.plans.playbook import Playbook, Step
from offboard.spi import Action, Connector, Member, describe
from offboard.text import plural


def discover_system(step: Step, connector: Connector | None, member: Member, retry: RetryPolicy,
                    extra: Mapping[str, Any] | None = None) -> SystemPlan:
    """Resolve and discover one system, read-only; problems become a note, not an exception.

    ``retry`` is the policy for a ``RetriableError`` that no read retried on its own (see the module);
    ``extra``: options added to the step's (what a closing step learns of the plan).
    """
    title = step.title or (type(connector).title if connector else _title(step.connector))
    plan = SystemPlan(step.system, step.connector, title, on_failure=step.on_failure)
    if connector is None:
        plan.note = NOT_CONFIGURED
        return plan
    if connector.identity_column and not member.identities.get(step.connector):
        plan.note = (f"not on the roster for {step.connector}: add a '{step.connector}' column to the roster "
                     f"with the member's {connector.title} id")
        return plan
    resolved = call_with_retries(lambda: connector.resolve(member), retry)
    if resolved.error is not None:
        plan.note, plan.error = f"could not be read: {describe(resolved.error)}", True
        return plan
    if resolved.value is None:
        plan.note = f"no account for {member.identity_for(step.connector)}: nothing to do"
        return plan
    account = plan.account = resolved.value
    options = {**step.discover_options(), **(extra or {})}
    found = call_with_retries(lambda: connector.discover(account, options), retry)
    if found.error is not None:
        plan.note, plan.error = f"could not be read: {describe(found.error)}", True
        return plan
    actions: list[Action] = list(found.value or [])
    if step.actions:
        actions = [a for a in actions if a.kind in step.actions]
    plan.actions = actions
    plan.attention = next((a.summary for a in actions if a.params.get("attention")), None)
    if not actions:
        plan.note = "nothing to do: no access found"
    return plan


# -- who is told as each system is read: the CLI's live line ("reading google..."); nobody by default.
# Set for one command by the CLI (``offboard.cli.app.terminal``), so that every operation that plans is
# watched without each passing it down.


class Watcher(Protocol):
    """Told when a system's reading starts and when it is read; called from discovery's worker threads."""

    def reading(self, system: str) -> None: ...

    def read(self, found: SystemPlan) -> None: ...


watcher: ContextVar[Watcher | None] = ContextVar("offboard_discovery_watcher", default=None)


def _watched(watch: Watcher | None, step: Step, connector: Connector | None, member: Member, retry: RetryPolicy,
             extra: Mapping[str, Any] | None = None) -> SystemPlan:
    """``discover_system``, telling ``watch`` (when there is one) as it starts and ends."""
    if watch is not None:
        watch.reading(step.system)
    found = discover_system(step, connector, member, retry, extra)
    if watch is not None:
        watch.read(found)
    return found


def member_entry(member: Member) -> dict[str, Any]:
    """The member as a plan names them: who was planned for, every identity included."""
    return {"id": member.id, "name": member.name, "email": member.email, "identities": dict(member.identities)}


def build_plan(kind: str, org: Mapping[str, str], member: Member, playbook: Playbook,
               connectors: Mapping[str, Connector], retry: RetryPolicy, terms: Mapping[str, Any] | None = None,
               skip_closing: str | None = None) -> Plan:
    """Discover every system of the playbook at once (they are independent); then its closing steps (the
    written notice), which learn the plan: the kind, its ``terms`` and the titles of the systems it changes.

    ``terms``: ``until`` and ``reason`` of a suspension, ``decided`` (the date the notice names), ``sent``
    (the notices earlier runs of this decision sent); ``skip_closing``: why the closing steps are left out
    (``--no-notice``, and by whom).
    """
    closing = {s.system for s in playbook.steps if (c := connectors.get(s.system)) is not None and c.closing}
    first = [s for s in playbook.steps if s.system not in closing]
    watch = watcher.get()  # read here: the pool's threads do not see this context
    with ThreadPoolExecutor(max_workers=max(1, len(first))) as pool:
        found = dict(zip((s.system for s in first), pool.map(
            lambda s: _watched(watch, s, connectors.get(s.system), member, retry), first), strict=True))
    for step in playbook.steps:
        if step.handled_by_api:
            _say_what_the_apis_handle(found[step.system], [found[name] for name in step.handled_by_api
                                                            if name in found])  # a closing step is read later
    terms = dict(terms or {})
    told = {"kind": kind, **terms, "systems": [p.title for p in found.values() if p.actions]}
    for step in (s for s in playbook.steps if s.system in closing):
        if skip_closing:
            found[step.system] = SystemPlan(step.system, step.connector, step.title or step.system,
                                            note=f"skipped: {skip_closing}", on_failure=step.on_failure)
        else:
            found[step.system] = planned = _watched(watch, step, connectors.get(step.system), member, retry, told)
            if not planned.actions and not planned.error and terms.get("sent"):
                planned.note = "nothing to do: an earlier run of this decision sent it"
    return Plan(
        kind=kind, created=utc_now(), org=dict(org),
        member=member_entry(member),
        playbook={"name": playbook.name, "ref": playbook.ref, "sha256": playbook.sha256},
        systems=[found[s.system] for s in playbook.steps],
        suspension={k: str(terms[k]) for k in ("until", "reason") if k in terms} if kind == "suspend" else None,
    )


def _say_what_the_apis_handle(checklist: SystemPlan, systems: list[SystemPlan]) -> None:
    """End each of the checklist's steps with which of ``systems`` this plan handles through their API."""
    handled = [f"{p.title} ({plural(len(p.actions), 'change')})" for p in systems if p.actions]
    other = [f"{p.title} ({p.note or 'nothing to do'})" for p in systems if not p.actions]
    line = " ".join([*([f"Handled through their API by this plan, so not by hand: {', '.join(handled)}."] if handled
                       else []), *([f"Not handled by this plan: {', '.join(other)}."] if other else [])])
    checklist.actions = [
        replace(a, manual=replace(a.manual, instructions=f"{a.manual.instructions.rstrip()}\n\n{line}".strip()))
        if a.manual is not None else a for a in checklist.actions
    ]


def _title(connector_name: str) -> str:
    from offboard.spi import registry

    try:
        return registry.load(connector_name).title
    except Exception:  # an unloadable plugin still gets a name in the plan
        return connector_name

