"""The sections of a run's report, each a short list of sentences a committee member can read aloud.

Access ended (or given back), still to do by a person, could not be done, not coming back (suspensions
and reinstatements), the written notice, and what was left out. Each says so in a sentence when it is
empty, so a reader never wonders whether a section was forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.report.blocks import Block, Bullets, Item, Line, Paragraph, Section, bullets, line
from offboard.report.outcomes import UNFINISHED, Outcomes, Step
from offboard.report.wording import count, listed, plain, when


def sections(outcomes: Outcomes) -> list[Block]:
    done = "Access given back" if outcomes.kind == "reinstate" else "Access ended"
    blocks: list[Block] = [
        Section(done, (access(outcomes),)),
        Section("Still to do by a person", still_to_do(outcomes)),
        Section("Could not be done", (could_not(outcomes),)),
    ]
    if outcomes.kind in ("suspend", "reinstate"):
        blocks.append(Section("Not coming back", (not_coming_back(outcomes),)))
    return blocks + notice(outcomes) + left_out(outcomes)


def _by_system(steps: list[Step]) -> list[list[Step]]:
    """Steps grouped by their system, in the report's order."""
    groups: dict[int, list[Step]] = {}
    for step in steps:
        groups.setdefault(id(step.system), []).append(step)
    return list(groups.values())


def _named(step: Step) -> str:
    account = plain(step.system.get("account"))
    return f"{step.where} ({account})" if account and account != step.where else step.where


def access(outcomes: Outcomes) -> Bullets:
    """Per system: how many changes, by when, and what each was; then what was already so."""
    said: list[Line] = []
    for group in _by_system([s for s in outcomes.where("changed") if not s.is_notice]):  # the notice: its own section
        last = max((plain(s.action.get("finished")) for s in group), default="")
        what = "; ".join(s.what + (f" ({plain(s.action.get('detail'))})" if s.action.get("phase") == "manual"
                                   and s.action.get("detail") else "") for s in group)
        done = "done on" if len(group) == 1 else "done by"
        said.append(line(f"{_named(group[0])}: {count(len(group), 'change')}, {done} {when(last)}: {what}."))
    for group in _by_system([s for s in outcomes.where("ok") if not s.is_notice]):
        said.append(line(f"{group[0].where}: already so, nothing to change: {'; '.join(s.what for s in group)}."))
    nothing = "Nothing was given back." if outcomes.kind == "reinstate" else "Nothing was changed."
    return bullets(said, nothing)


def still_to_do(outcomes: Outcomes) -> tuple[Block, ...]:
    """The manual steps with their instructions, what waits for them, and approvals still missing."""
    items = [Item(line(f"{step.where}: {step.what}."), _how(step.action)) for step in outcomes.where("manual")]
    items += [Item(line(f"{s.where}: {s.what}: offboard does this itself once {_awaited(s)} is done."))
              for s in outcomes.where("held")]
    missing = outcomes.missing_approvals
    if missing:
        items.append(Item(line(f"This was an emergency run: {count(missing, 'approval')} still "
                               f"{'has' if missing == 1 else 'have'} to be added by the approvers.")))
    if not items:
        return (bullets([], "Nothing: no step waits on a person."),)
    blocks: list[Block] = [bullets(items)]
    if outcomes.where("manual"):
        blocks.append(Paragraph(line("Whoever does a step tells the operator, who records it with its evidence "
                                     "(the commands are in the appendix).")))
    return tuple(blocks)


def _awaited(step: Step) -> str:
    """The step a held action waits for, as the journal says it ("waits for: TITLE")."""
    detail = plain(step.action.get("detail"))
    return f"“{detail.removeprefix('waits for: ')}”" if detail.startswith("waits for: ") else "the step it waits for"


def _how(action: Mapping[str, Any]) -> tuple[Line, ...]:
    """A step's instructions (their first paragraph: the rest, such as a notice's full text, is in the JSON) and
    links."""
    instructions = plain(action.get("instructions")).strip()
    first = instructions.split("\n\n")[0].strip()
    how = [line(" ".join(first.split()) + (" (more in the signed report)" if first != instructions else ""))] \
        if first else []
    return tuple(how + [line(f"See {plain(link)}") for link in action.get("links") or []])


def could_not(outcomes: Outcomes) -> Bullets:
    said = [line(f"{plain(s.get('title') or s.get('name'))} was not touched: it {plain(s.get('note'))}.")
            for s in outcomes.unread()]
    for step in outcomes.where("failed"):
        error = plain(step.action.get("last_error") or step.action.get("detail")) or "no error was recorded"
        tries = int(step.action.get("attempts") or 0)
        after = f" after {count(tries, 'attempt')}" if tries else ""
        said.append(line(f"{step.where}: {step.what}: failed{after}: {error.rstrip('.')}."))
    for step in outcomes.where(*UNFINISHED):
        said.append(line(f"{step.where}: {step.what}: not done yet, the run stopped before it; the operator "
                         "finishes the run."))
    return bullets(said, "Nothing: everything that was tried worked.")


def not_coming_back(outcomes: Outcomes) -> Bullets:
    """A suspension: what cannot be undone when it ends; a reinstatement: what did not come back."""
    if outcomes.kind == "suspend":
        said = [line(f"{s.where}: {s.what}: this cannot be undone when the suspension ends.")
                for s in outcomes.where("changed")
                if s.action.get("reversible") is False and s.action.get("phase") != "manual" and not s.is_notice]
        return bullets(said, "Nothing: everything changed can be put back when the suspension ends.")
    said = [line(f"{plain(system.get('title') or system.get('name'))}: {plain(lost.get('reason')).rstrip('.')}.")
            for system in outcomes.systems for lost in system.get("lost") or []]
    return bullets(said, "Nothing is lost for good.")


def notice(outcomes: Outcomes) -> list[Block]:
    """Where each written notice went: the one place the member's personal address is shown."""
    files = outcomes.document.get("attachments") or {}
    said: list[Line] = []
    concealed = outcomes.document.get("notices") or []
    for n, sent in zip(concealed, outcomes.notices, strict=True):  # only the address comes from the notice as sent
        stored = next((name for name, sha in files.items() if sha == n.get("sha256")), None) if n.get("sha256") else None
        copy = f", with a copy to {listed(plain(c) for c in n.get('cc') or [])}" if n.get("cc") else ""
        kept = (f" Its exact text is kept beside this report as {stored}." if stored else
                " It had been sent before, so its exact text is not kept here.")
        said.append(line(f"The written notice “{plain(n.get('subject'))}” was sent to {plain(sent.get('to'))} on "
                         f"{when(n.get('sent_at'))}{copy}.{kept}"))
    return [Section("Written notice", (bullets(said),))] if said else []


def left_out(outcomes: Outcomes) -> list[Block]:
    """Systems and steps left out on purpose: not configured, not applicable, carried over, --no-notice."""
    said = [line(f"{plain(s.get('title') or s.get('name'))}: {plain(s.get('note')).rstrip('.')}.")
            for s in outcomes.systems if s.get("note") and not s.get("error")]
    said += [line(f"{s.where}: {s.what}" + (f": {plain(s.action.get('detail')).rstrip('.')}." if s.action.get("detail")
                                            else "."))
             for s in outcomes.where("skipped")]
    return [Section("Left out", (bullets(said),))] if said else []
