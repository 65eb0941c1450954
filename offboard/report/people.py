"""What a run's report says to the committee: who, what was decided, when, by whom, and what is still open.

Its first paragraph is the whole story in plain words for someone who reads nothing else; the sections
after it are short lists of sentences (``sections``), and the identifiers that find things in the
signed JSON wait in the appendix (``appendix``). Nothing in the body is an id, a hash or a JSON value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.report.appendix import appendix
from offboard.report.blocks import Block, Code, Paragraph, Reading, Span, line
from offboard.report.outcomes import UNFINISHED, Outcomes
from offboard.report.record import chain
from offboard.report.sections import sections
from offboard.report.wording import count, day, listed, plain, when

KIND_TITLES = {
    "expel": "Expulsion",
    "suspend": "Suspension",
    "reinstate": "Reinstatement",
    "audit": "Audit",
    "confirm": "Manual steps confirmed",
}
ENDED = {"suspend": "their suspension is over", "expel": "their expulsion is reversed"}


def people_reading(document: Mapping[str, Any], checked: str | None = None) -> Reading:
    """``checked``: who the report's signature was verified to be by, when a reader verified it just now."""
    outcomes = Outcomes(document)
    blocks: list[Block] = [Paragraph(opening(outcomes, checked))]
    blocks += sections(outcomes) + appendix(outcomes) + chain(outcomes.document)
    return Reading(line(title(outcomes.document)), tuple(blocks))


def title(document: Mapping[str, Any]) -> str:
    kind = plain(document.get("kind")) or "report"
    name = plain((document.get("member") or {}).get("name"))
    heading = KIND_TITLES.get(kind) or kind.title()
    return f"{heading}: {name}" if name else heading


def opening(outcomes: Outcomes, checked: str | None) -> tuple[Span, ...]:
    """Who, what was decided and why, when and by whom, what was done, what is still open, and the signature."""
    document = outcomes.document
    said = [decision(document), *approved(document), carried_out(document)]
    changed = [step for step in outcomes.where("changed") if not step.is_notice]
    if changed:
        systems = len({id(step.system) for step in changed})
        said.append(f"{count(len(changed), 'change')} {'was' if len(changed) == 1 else 'were'} made in "
                    f"{count(systems, 'system')}.")
    else:
        said.append("Nothing was changed.")
    said += [f"The written notice was sent on {when(n.get('sent_at'))}." for n in outcomes.notices]
    said.append(still_open(outcomes))
    return line(" ".join(said) + " ", *signature(document, checked))


def decision(document: Mapping[str, Any]) -> str:
    member = document.get("member") or {}
    name, member_id = plain(member.get("name")) or "The member", plain(member.get("id"))
    who = f"{name} (member {member_id})" if member_id else name
    org = plain((document.get("org") or {}).get("name")) or "the organization"
    kind = plain(document.get("kind"))
    if kind == "expel":
        return f"{who} is expelled from {org}."
    if kind == "suspend":
        suspension = document.get("suspension") or {}
        reason = plain(suspension.get("reason"))
        return (f"{who} is suspended from {org} until {day(suspension.get('until'))} (the end of that day, UTC)."
                + (f" The reason given: {reason.rstrip('.')}." if reason else ""))
    if kind == "reinstate":
        ended = ENDED.get(plain((document.get("reverses") or {}).get("kind")))
        return f"{who} is reinstated in {org}" + (f": {ended}." if ended else ".")
    return f"This report is about {who} in {org}."


def carried_out(document: Mapping[str, Any]) -> str:
    operator = plain(document.get("operator"))
    started, finished = when(document.get("started")), when(document.get("finished"))
    said = f"It was carried out by {operator} on {started}." if operator else f"It was carried out on {started}."
    return said + (f" This report shows where things stood on {finished}." if finished != started else "")


def approved(document: Mapping[str, Any]) -> list[str]:
    """The approvers, each with the decision they cited, and an emergency's reason."""
    approvals = document.get("approvals") or {}
    said = []
    names = [plain(a.get("principal")) + (f" ({plain(a.get('decision'))})" if a.get("decision") else "")
             for a in approvals.get("approved") or []]
    if names:
        said.append(f"It was approved by {listed(names)}: {len(names)} of {plain(approvals.get('required'))} "
                    "required approvals.")
    emergency = approvals.get("emergency") or {}
    if emergency:
        said.append(f"It was run as an emergency by {plain(emergency.get('by'))}; the reason given: "
                    f"{plain(emergency.get('reason')).rstrip('.')}.")
    return said


def still_open(outcomes: Outcomes) -> str:
    open_ = [
        (len(outcomes.where("manual")), "step", "steps", "for a person to do"),
        (len(outcomes.where("failed")), "step", "steps", "that could not be done"),
        (len(outcomes.unread()), "system", "systems", "that could not be read"),
        (len(outcomes.where(*UNFINISHED)), "step", "steps", "not done yet"),
        (len(outcomes.where("held")), "change", "changes", "held until a person's step is done"),
        (outcomes.missing_approvals, "approval", "approvals", "still missing"),
    ]
    parts = [f"{count(n, one, many)} {what}" for n, one, many, what in open_ if n]
    if parts:
        return f"Still open: {listed(parts)}."
    status = plain(outcomes.document.get("status"))
    return "Nothing is left to do." if status in ("complete", "") else f"Its status is {status}."


def signature(document: Mapping[str, Any], checked: str | None) -> tuple[Span, ...]:
    if checked:
        return (f"Its signature was checked just now: it is signed with the key of {checked}.",)
    if document.get("signed"):
        return ("It is signed; ", Code("offboard verify"), " checks the signature.")
    return ("It is NOT signed (written with --unsigned): nothing shows who wrote it.",)
