"""How a plan looks to a person at a terminal: each system's actions by phase, then one count line.

Colour carries meaning and only on a terminal (rich drops it elsewhere, and with NO_COLOR): what changes,
what cannot be undone, what waits on a person, what could not be read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from offboard.cli.render import CHANGE, FAILED, IRREVERSIBLE, WAITING
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
        if needs:
            line.append(for_terminal(f" (needs: {'; '.join(needs)})"))
        return line
    change = change_text(action.before, action.after)
    if change:  # appended in place: a plan has hundreds of lines
        line.append(": ")
        line.append(for_terminal(change), style=CHANGE)
    if action.reversible:
        line.append(" [can be undone]")
    else:
        line.append(" [cannot be undone]", style=IRREVERSIBLE)
    return line


def _playbook(playbook: dict[str, str]) -> str:
    ref = playbook.get("ref") or "a file outside the config's folder"
    where = "" if ref == playbook["name"] else f" ({ref})"
    return f"{playbook['name']}{where}, sha256 {playbook['sha256'][:12]}"


def show_plan(console: Console, plan: Plan) -> None:
    """The plan, printed at once: one ``print`` of a few hundred lines takes a sixth of the time of a
    ``print`` per line, and a member's plan of 300 groups is shown between discovery and the cut."""
    console.print(Text("\n").join(plan_lines(plan)))


def plan_lines(plan: Plan) -> list[Text]:
    """The plan's lines, as ``render.put`` would print each (no markup, control characters shown escaped)."""
    lines: list[Text] = []

    def add(text: str | Text) -> None:
        lines.append(text if isinstance(text, Text) else Text(for_terminal(text)))

    def add_action(action: Action) -> None:
        line = Text("    - ")
        line.append_text(action_line(action))
        lines.append(line)

    member = plan.member
    add(f"Plan: {plan.kind} {member['id']} {member['name']} <{member['email']}>")
    add(f"Playbook: {_playbook(plan.playbook)}")
    if plan.suspension:
        add(f"Until: {plan.suspension.get('until')} (the end of that day, UTC). "
            f"Reason: {plan.suspension.get('reason')}")
    if plan.reverses:
        add(f"Reverses: report {int(plan.reverses.get('seq') or 0):06d} ({plan.reverses.get('kind')}, "
            f"run {plan.reverses.get('run_id')})")
    for system in plan.systems:
        account = f" ({system.account.label})" if system.account else ""
        lines.append(Text())
        rest = f" - {system.title}{account}" + (f": {system.note}" if system.note else "")
        red = FAILED if system.error else ""  # could not be read: never "nothing to do"
        add(Text(for_terminal(system.system), style=f"bold {red}".strip()) + Text(for_terminal(rest), style=red))
        if system.attention:
            add(Text(for_terminal(f"  ! {system.attention}"), style=FAILED))
        for phase in Phase:
            actions = [a for a in system.actions if a.phase is phase]
            if actions:
                add(f"  {phase.value}")
                for action in actions:
                    add_action(action)
                    for line in _how(action):
                        add(f"        {line}")
                    for line in action.preview.splitlines():  # the notice, exactly as it will be sent
                        add(f"        | {line}".rstrip())
        if system.already:
            add("  already as it was")
            for summary in system.already:
                add(f"    - {summary}")
        if system.lost:
            add("  does not come back")
            for item in system.lost:
                add(f"    - {item.reason}")
    lines.append(Text())
    add(plan_count(plan))
    return lines


def plan_count(plan: Plan) -> Text:
    """The plan's last line, as Terraform ends one: "Plan: 12 changes (2 cannot be undone), 3 steps for a
    person, 1 system not configured." Systems left out or not read are named only when there are some."""
    from offboard.cli.documents import plan_counts  # with the plan machinery: `offboard --help` needs none of it

    return _count_line("Plan: ", plan_counts(plan), bool(plan.reverses))


def plans_count(plans: Sequence[Plan]) -> Text:
    """The last line of members planned together: "Together, 3 members: 36 changes (…), 9 steps for a person."."""
    from offboard.cli.documents import plan_counts

    total: Counter[str] = Counter()
    for plan in plans:
        total.update(plan_counts(plan))
    return _count_line(f"Together, {len(plans)} members: ", total, False)


def _count_line(start: str, n: Mapping[str, int], reverses: bool) -> Text:
    parts = [Text(plural(n["changes"], "change") + (" to put back" if reverses else ""), style=CHANGE)]
    if n["irreversible"]:
        parts[0] = Text.assemble(parts[0], " (", (f"{n['irreversible']} cannot be undone", IRREVERSIBLE), ")")
    parts.append(Text(f"{plural(n['steps'], 'step')} for a person", style=WAITING if n["steps"] else ""))
    if n["lost"]:
        parts.append(Text(f"{n['lost']} cannot come back", style=IRREVERSIBLE))
    if n["not_configured"]:
        parts.append(Text(f"{plural(n['not_configured'], 'system')} not configured"))
    if n["unread"]:
        parts.append(Text(f"{plural(n['unread'], 'system')} could not be read", style=FAILED))
    return Text(start) + Text(", ").join(parts) + Text(".")


def _how(action: Action) -> list[str]:
    """A manual step's instructions and links, as the playbook gives them."""
    step = action.manual
    if step is None or action.phase is not Phase.MANUAL:
        return []
    return step.instructions.splitlines() + list(step.links)
