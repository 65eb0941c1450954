"""The Markdown rendering of a report, for people: the summary first, then the detail.

It renders only what the signed document holds, so it can carry no secret the report does not;
the JSON beside it is the authority, this is its reading copy, and a pure function of it. Every
value in it is text from outside (names, labels, services' answers): each is escaped so that it
renders as itself and can add no heading, list, link, image or HTML to the page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from offboard.text import for_markdown, for_terminal

KIND_TITLES = {
    "expel": "Expulsion",
    "suspend": "Suspension",
    "reinstate": "Reinstatement",
    "audit": "Audit",
    "confirm": "Manual steps confirmed",
}
LINE_BREAK = re.compile(r"\r\n|[\r\n\t\v\f\x85\u2028\u2029]")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _text(value: Any) -> str:
    """A value as inline text, on one line, safe in a table cell: no markup, HTML or line break of its own."""
    return for_markdown(_plain(value))


def _code(value: Any, table: bool = False) -> str:
    """A value as a code span (an id, a command): shown as typed, since nothing in a code span is markup.

    Only a backtick could end the span early, so the fence is one longer than the longest run of
    backticks in it; line breaks become spaces and controls show escaped. In a table ``|`` is escaped.
    """
    text = for_terminal(LINE_BREAK.sub(" ", _plain(value)))
    if not text:
        return ""
    text = text.replace("|", "\\|") if table else text
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _actions(document: Mapping[str, Any]) -> Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    for system in document.get("systems") or []:
        for action in system.get("actions") or []:
            yield system, action


def _bullets(lines: list[str], empty: str) -> list[str]:
    return [f"- {line}" for line in lines] if lines else [f"- {empty}"]


def _status_line(document: Mapping[str, Any]) -> str:
    status = str(document.get("status") or "unknown")
    if document.get("kind") == "audit":
        return _audit_status(document, status)
    if status == "complete":
        return "Complete: every step is done."
    states = [a.get("state") for _, a in _actions(document)]
    failed, waiting, held = states.count("failed"), states.count("manual"), states.count("held")
    then = f", {held} held until a manual step is done" if held else ""
    return f"{_text(status.capitalize())}: {failed} step(s) failed, {waiting} wait(s) on a person{then}."


def _header(document: Mapping[str, Any]) -> list[str]:
    member = document.get("member") or {}
    kind = str(document.get("kind") or "report")
    who = f": {_text(member.get('name'))} ({_text(member.get('id'))})" if member else ""
    org = document.get("org") or {}
    playbook = document.get("playbook") or {}
    signed = "signed" if document.get("signed") else "UNSIGNED (written with --unsigned)"
    lines = [
        f"# {KIND_TITLES.get(kind) or _text(kind.title())}{who}",
        "",
        f"**{_status_line(document)}**",
        "",
        f"- Organization: {_text(org.get('name'))} ({_text(org.get('domain'))})",
        f"- Report {int(document.get('seq') or 0):06d}, {signed}; run {_text(document.get('run_id'))}",
        f"- Operator: {_text(document.get('operator'))}",
        f"- Started {_text(document.get('started'))}, finished {_text(document.get('finished'))}",
    ]
    if playbook:
        lines.append(f"- Playbook: {_text(playbook.get('name'))} (sha256 {_text(playbook.get('sha256'))})")
    suspension = document.get("suspension") or {}
    if suspension:
        lines.append(f"- Suspended until {_text(suspension.get('until'))} (the end of that day, UTC); "
                     f"reason: {_text(suspension.get('reason'))}")
    lines += _approvals(document.get("approvals") or {})
    reverses = document.get("reverses") or {}
    if reverses:
        lines.append(f"- Reverses report {int(reverses.get('seq') or 0):06d} ({_text(reverses.get('kind'))}, "
                     f"sha256 {_text(reverses.get('sha256'))})")
    return lines


def _approvals(approvals: Mapping[str, Any]) -> list[str]:
    """Who approved the plan (its digest, each approver's key and decision), and an emergency's reason."""
    if not approvals:
        return []
    approved = approvals.get("approved") or []
    lines = [f"- Approved plan {_text(approvals.get('digest'))}: {len(approved)} of {_text(approvals.get('required'))} "
             "required approvals"]
    lines += [f"  - {_text(a.get('principal'))}, key {_text(a.get('fingerprint'))}, {_text(a.get('at'))}"
              + (f": {_text(a.get('decision'))}" if a.get("decision") else "") for a in approved]
    emergency = approvals.get("emergency") or {}
    if emergency:
        missing = int(approvals.get("missing") or 0)
        lines.append(f"- **Emergency run** by {_text(emergency.get('by'))}: {_text(emergency.get('reason'))}"
                     + (f"; {missing} approval(s) still missing (`offboard approve --run`)" if missing else
                        "; the missing approvals were added afterwards"))
    return lines


def _summary(document: Mapping[str, Any]) -> list[str]:
    cut, failed, waiting, held, skipped, lost = [], [], [], [], [], []
    for system in document.get("systems") or []:
        title = _text(system.get("title") or system.get("name"))
        lost += [f"{title}: {_text(n.get('reason'))}" for n in system.get("lost") or []]
        if system.get("error"):
            failed.append(f"{title}: not touched, it {_text(system.get('note'))}")
        elif system.get("note"):
            skipped.append(f"{title}: {_text(system['note'])}")
    for system, action in _actions(document):
        title = _text(system.get("title") or system.get("name"))
        state = action.get("state")
        if state == "changed":
            cut.append(f"{title}: {_text(action.get('summary'))}")
        elif state == "failed":
            error = action.get("last_error") or action.get("detail") or "no error recorded"
            failed.append(f"{title}: {_text(action.get('summary'))} ({_text(error)})")
        elif state == "manual":
            command = f"offboard confirm {_plain(document.get('run_id'))} {_plain(action.get('id'))} --by YOUR-NAME"
            how = " ".join(_text(x) for x in [action.get("instructions") or "", *(action.get("links") or [])] if x)
            waiting.append(f"{title}: {_text(action.get('summary'))}: {_code(command)}" + (f" ({how})" if how else ""))
        elif state == "held":
            held.append(f"{title}: {_text(action.get('summary'))} ({_text(action.get('detail'))})")
        elif state == "skipped":
            skipped.append(f"{title}: {_text(action.get('summary'))} ({_text(action.get('detail'))})")
    counts = document.get("summary") or {}
    tally = ", ".join(f"{_text(counts[k])} {k}" for k in ("changed", "ok", "failed", "skipped", "manual") if k in counts)
    lines = ["", "## Summary", ""] + ([tally, ""] if tally else [])
    done = "What was put back" if document.get("kind") == "reinstate" else "What was cut"
    lines += [f"### {done}", "", *_bullets(cut, "nothing was changed"), ""]
    if lost:
        lines += ["### What does not come back", "", *_bullets(lost, ""), ""]
    lines += ["### What failed", "", *_bullets(failed, "nothing failed"), ""]
    lines += ["### What waits on a person", "", *_bullets(waiting, "nothing")]
    if waiting:
        lines += [
            "",
            "Once a step is done, run its command; add `--evidence FILE` and `--reference REF` where you have them, "
            "or `--not-applicable --reason WHY` when the step does not apply.",
        ]
    if held:
        lines += ["", "### Held until a manual step is done", "", *_bullets(held, "")]
    if skipped:
        lines += ["", "### Skipped", "", *_bullets(skipped, "")]
    return lines


def _systems(document: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for system in document.get("systems") or []:
        title = _text(system.get("title") or system.get("name"))
        lines += ["", f"### {title}", ""]
        for key, label in (("account", "Account"), ("note", "Note")):
            if system.get(key):
                lines += [f"{label}: {_text(system[key])}", ""]
        actions = system.get("actions") or []
        if not actions:
            lines.append("No actions.")
            continue
        lines += [
            "| Action | Phase | Outcome | Before | After | Attempts | Last error | Started | Finished |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for a in actions:
            cells = [
                f"{_text(a.get('summary'))} ({_code(a.get('id'), table=True)})",
                _text(a.get("phase")),
                f"{_text(a.get('state'))}: {_text(a.get('detail'))}" if a.get("detail") else _text(a.get("state")),
                _text(a.get("before")),
                _text(a.get("after")),
                _text(a.get("attempts")),
                _text(a.get("last_error")),
                _text(a.get("started")),
                _text(a.get("finished")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return ["", "## Detail", *lines] if lines else []


def _notices(document: Mapping[str, Any]) -> list[str]:
    """Each notice sent: to whom, as whom, its Message-ID and the file of its exact bytes, with their SHA-256."""
    files = document.get("attachments") or {}
    lines = []
    for n in document.get("notices") or []:
        stored = next((name for name, sha in files.items() if sha == n.get("sha256")), None) if n.get("sha256") else None
        where = (f"stored as {_code(stored)} (sha256 {_text(n.get('sha256'))})" if stored else
                 "found already sent; its exact bytes were not kept")
        via = f"Gmail message {_text(n.get('gmail_id'))}" if n.get("gmail_id") else _text(n.get("server_reply"))
        lines.append(f"- {_text(n.get('subject'))}: from {_text(n.get('from'))} to {_text(n.get('to'))}"
                     + (f", copy to {_text(', '.join(n.get('cc') or []))}" if n.get("cc") else "")
                     + f", {_text(n.get('sent_at'))}, Message-ID {_code(n.get('message_id'))} ({via}); {where}")
    return ["", "## Written notice", "", *lines] if lines else []


def _confirmations(document: Mapping[str, Any]) -> list[str]:
    lines = []
    for c in document.get("confirmations") or []:
        by = _text(c.get("by")) + (f" and {_text(c.get('second_by'))}" if c.get("second_by") else "")
        what = "not applicable" if c.get("not_applicable") else "done"
        user = f" (OS user {_text(c.get('os_user'))})" if c.get("os_user") else ""
        line = f"- {_code(c.get('action_id'))} {what}, confirmed by {by}{user} at {_text(c.get('at'))}"
        signed = c.get("signed") or {}
        if signed:
            line += f"; signed by {_text(signed.get('principal'))} with key {_text(signed.get('fingerprint'))}"
        for label in ("reference", "reason", "note"):
            if c.get(label):
                line += f"; {label}: {_text(c.get(label))}"
        for evidence in c.get("evidence") or []:
            line += f"; evidence {_text(evidence.get('name'))} (sha256 {_text(evidence.get('sha256'))})"
        lines.append(line)
    if any(c.get("signed") for c in document.get("confirmations") or []):
        lines += ["", "Each signed confirmation's statement and signature are in the JSON report: check one with "
                      "`ssh-keygen -Y verify -f APPROVERS -I PRINCIPAL -n NAMESPACE -s SIGNATURE < STATEMENT`."]
    return ["", "## Confirmations", "", *lines] if lines else []


def _findings(document: Mapping[str, Any]) -> list[str]:
    rows = [
        "| " + " | ".join(_text(f.get(k)) for k in ("situation", "system", "account", "member", "detail")) + " |"
        for f in document.get("findings") or []
    ]
    if not rows:
        return []
    return ["", "## Findings", "", "| Situation | System | Account | Member | Detail |", "|---|---|---|---|---|", *rows]


def _audit_status(document: Mapping[str, Any], status: str) -> str:
    situations = (document.get("summary") or {}).get("situations") or {}
    # most severe first, as the findings are listed, whatever order the canonical JSON keeps the counts in
    order = list(dict.fromkeys(str(f.get("situation")) for f in document.get("findings") or []))
    ranked = sorted(situations.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
    counts = ", ".join(f"{_text(n)} {_text(s)}" for s, n in ranked)
    found = len(document.get("findings") or [])
    if status == "failed":
        return f"Incomplete: not every system could be read; {found} finding(s) in the rest."
    return f"{found} finding(s): {counts}." if found else "Clean: no findings."


def _audit_systems(document: Mapping[str, Any]) -> list[str]:
    lines = []
    for s in document.get("systems") or []:
        line = f"- {_text(s.get('title') or s.get('name'))}: "
        line += _text(s["note"]) if s.get("note") else (
            f"{_text(s.get('accounts', 0))} accounts, {_text(s.get('active', 0))} active, "
            f"{_text(s.get('linked', 0))} linked to active members")
        lines += [line] + [f"  - could not be read: {_text(e)}" for e in s.get("errors") or []]
    return ["", "## Systems", "", *lines] if lines else []


def _audit_exceptions(document: Mapping[str, Any]) -> list[str]:
    rows = [
        "| " + " | ".join(_text(e.get(k)) for k in ("system", "account", "kind", "reason")) + " |"
        for e in document.get("exceptions") or []
    ]
    if not rows:
        return []
    return ["", "## Exceptions", "", "| System | Account | Kind | Reason |", "|---|---|---|---|", *rows]


def _chain(document: Mapping[str, Any]) -> list[str]:
    prev = document.get("prev_sha256")
    return ["", "---", "", f"Previous report sha256: {_text(prev) or 'none (first report)'}. Check with `offboard verify`."]


def render(document: Mapping[str, Any]) -> str:
    """The whole rendering; unknown keys are ignored, missing ones render as blanks."""
    if document.get("kind") == "audit":
        parts = _header(document) + _audit_systems(document) + _findings(document) + _audit_exceptions(document)
        return "\n".join(parts + _chain(document)) + "\n"
    parts = _header(document) + _summary(document) + _notices(document) + _systems(document) + _confirmations(document)
    return "\n".join(parts + _findings(document) + _chain(document)) + "\n"
