"""How a plan looks to a person at a terminal: each system's actions by phase, then one count line.

Colour carries meaning and only on a terminal (rich drops it elsewhere, and with NO_COLOR): what changes,
what cannot be undone, what waits on a person, what could not be read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from offboard.cli.render import CHANGE, FAILED, IRREVERSIBLE, WAITING, put
from offboard.spi import Action, Phase
from offboard.text import for_terminal, plural

if TYPE_CHECKING:  # for annotations only: `offboard --help` imports none of it
    from offboard.plans.plan import Plan


def brief(value: Any, limit: int = 70) -> str:
    """A before/after value on one short line."""
    if value is None:
        return "-"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def change_text(before: Any, after: Any) -> str:
    """What changes, in a few words: only the keys that differ, and nothing for a removal
    (the sentence says it). The full before/after stays in the saved plan and the report."""
    if after is None or (before is None and isinstance(after, dict)):  # a removal, or an item put back
        return ""
    if isinstance(before, dict) and isinstance(after, dict):  # only what both name: the sentence says the rest
        changed = [k for k in after if k in before and before[k] != after[k]]
        return ", ".join(f"{k} {brief(before.get(k), 30)} → {brief(after[k], 30)}" for k in changed)
    return f"{brief(before)} → {brief(after)}"


def action_line(action: Action) -> Text:
    """One action: its sentence, what changes (coloured), and whether it can be undone."""
    line = Text(for_terminal(action.summary))
    if action.phase is Phase.MANUAL:
        step = action.manual
        needs = list(step.evidence) if step else []
        if step and step.second_confirmer:
            needs.append("a second confirmer")
        line.stylize(WAITING)
        return line + Text(for_terminal(f" (needs: {'; '.join(needs)})")) if needs else line
    change = change_text(action.before, action.after)
    if change:
        line += Text(": ") + Text(for_terminal(change), style=CHANGE)
    if action.reversible:
        return line + Text(" [can be undone]")
    return line + Text(" [cannot be undone]", style=IRREVERSIBLE)


def _playbook(playbook: dict[str, str]) -> str:
    ref = playbook.get("ref") or "a file outside the config's folder"
    where = "" if ref == playbook["name"] else f" ({ref})"
    return f"{playbook['name']}{where}, sha256 {playbook['sha256'][:12]}"


def show_plan(console: Console, plan: Plan) -> None:
    member = plan.member
    put(console, f"Plan: {plan.kind} {member['id']} {member['name']} <{member['email']}>")
    put(console, f"Playbook: {_playbook(plan.playbook)}")
    if plan.suspension:
        put(console, f"Until: {plan.suspension.get('until')} (the end of that day, UTC). "
                     f"Reason: {plan.suspension.get('reason')}")
    if plan.reverses:
        put(console, f"Reverses: report {int(plan.reverses.get('seq') or 0):06d} ({plan.reverses.get('kind')}, "
                     f"run {plan.reverses.get('run_id')})")
    for system in plan.systems:
        account = f" ({system.account.label})" if system.account else ""
        console.print()
        rest = f" - {system.title}{account}" + (f": {system.note}" if system.note else "")
        red = FAILED if system.error else ""  # could not be read: never "nothing to do"
        put(console, Text(for_terminal(system.system), style=f"bold {red}".strip()) + Text(for_terminal(rest), style=red))
        if system.attention:
            put(console, Text(for_terminal(f"  ! {system.attention}"), style=FAILED))
        for phase in Phase:
            actions = [a for a in system.actions if a.phase is phase]
            if actions:
                put(console, f"  {phase.value}")
                for action in actions:
                    put(console, Text("    - ") + action_line(action))
                    for line in _how(action):
                        put(console, f"        {line}")
                    for line in action.preview.splitlines():  # the notice, exactly as it will be sent
                        put(console, f"        | {line}".rstrip())
        if system.already:
            put(console, "  already as it was")
            for summary in system.already:
                put(console, f"    - {summary}")
        if system.lost:
            put(console, "  does not come back")
            for item in system.lost:
                put(console, f"    - {item.reason}")
    console.print()
    put(console, plan_count(plan))


def plan_count(plan: Plan) -> Text:
    """The plan's last line, as Terraform ends one: "Plan: 12 changes (2 cannot be undone), 3 steps for a
    person, 1 system not configured." Systems left out or not read are named only when there are some."""
    from offboard.cli.documents import plan_counts  # with the plan machinery: `offboard --help` needs none of it

    n = plan_counts(plan)
    parts = [Text(plural(n["changes"], "change") + (" to put back" if plan.reverses else ""), style=CHANGE)]
    if n["irreversible"]:
        parts[0] = Text.assemble(parts[0], " (", (f"{n['irreversible']} cannot be undone", IRREVERSIBLE), ")")
    parts.append(Text(f"{plural(n['steps'], 'step')} for a person", style=WAITING if n["steps"] else ""))
    if n["lost"]:
        parts.append(Text(f"{n['lost']} cannot come back", style=IRREVERSIBLE))
    if n["not_configured"]:
        parts.append(Text(f"{plural(n['not_configured'], 'system')} not configured"))
    if n["unread"]:
        parts.append(Text(f"{plural(n['unread'], 'system')} could not be read", style=FAILED))
    return Text("Plan: ") + Text(", ").join(parts) + Text(".")


def _how(action: Action) -> list[str]:
    """A manual step's instructions and links, as the playbook gives them."""
    step = action.manual
    if step is None or action.phase is not Phase.MANUAL:
        return []
    return step.instructions.splitlines() + list(step.links)
