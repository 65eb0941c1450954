"""The appendix of a run's report: the identifiers the body leaves out, for whoever checks or follows up.

Each action's id, system, state and time; the commands that record the open steps; the report's
number, hashes and keys; each notice's Message-ID and file; each confirmation with its signer. Values
are as the signed JSON holds them (ISO times, full ids), so each can be found in it.
"""

from __future__ import annotations

from offboard.report import record
from offboard.report.blocks import Block, Code, Line, Paragraph, Section, Table, bullets, line
from offboard.report.outcomes import Outcomes
from offboard.report.wording import plain

HOW_TO_CONFIRM = ("Once a step is done, run its command; add ", Code("--evidence FILE"), " and ", Code("--reference REF"),
                  " where you have them, or ", Code("--not-applicable --reason WHY"), " when the step does not apply.")


def appendix(outcomes: Outcomes) -> list[Block]:
    document = outcomes.document
    blocks: list[Block] = [
        Paragraph(line("The signed JSON report beside this file is the record; these are its numbers and "
                       "identifiers, as it holds them.")),
        record.facts(document),
    ]
    rows = tuple((line(Code(plain(s.action.get("id")))), line(plain(s.system.get("name"))), line(s.state),
                  line(plain(s.action.get("finished") or s.action.get("started"))))
                 for s in outcomes.steps)
    if rows:
        blocks.append(Section("Actions", (Table(("Action", "System", "State", "Time"), rows),), 3))
    blocks += _commands(outcomes)
    notices = record.notices(document)
    if notices:
        blocks.append(Section("Written notice", (bullets(notices),), 3))
    confirmed = record.confirmations(document)
    if confirmed:
        blocks.append(Section("Confirmations", tuple(confirmed), 3))
    blocks += record.findings(document, level=3)
    return [Section("Appendix: for the record", tuple(blocks), appendix=True)]


def _commands(outcomes: Outcomes) -> list[Block]:
    """How the operator records each open step, and how an approver adds an approval still missing."""
    run_id = plain(outcomes.document.get("run_id"))
    commands: list[Line] = [
        line(f"{step.where}: ", Code(f"offboard confirm {run_id} {plain(step.action.get('id'))} --by YOUR-NAME"))
        for step in outcomes.where("manual")
    ]
    if outcomes.missing_approvals:
        commands.append(line("Each missing approver: ", Code(f"offboard approve --run {run_id} --key PATH|agent")))
    if not commands:
        return []
    blocks: list[Block] = [bullets(commands)]
    if outcomes.where("manual"):
        blocks.append(Paragraph(HOW_TO_CONFIRM))
    return [Section("Recording what is still open", tuple(blocks), 3)]
