"""The Markdown rendering leads with what a CC member needs: what was cut, failed, and waits."""

from __future__ import annotations

from offboard.report.markdown import render
from tests.report.conftest import action, document


def test_summary_comes_first_then_detail():
    text = render(document(seq=3, prev_sha256="cd" * 32, signed=True))
    order = ["**Incomplete: 1 step(s) failed, 1 wait(s) on a person.**", "## Summary", "### What was cut",
             "### What failed", "### What waits on a person", "### Skipped", "## Detail", "### Google Workspace"]
    positions = [text.index(heading) for heading in order]
    assert positions == sorted(positions)
    summary = text[text.index("## Summary") : text.index("## Detail")]
    assert summary == (
        "## Summary\n\n"
        "1 changed, 1 ok, 1 failed, 0 skipped, 1 manual\n\n"
        "### What was cut\n\n- Google Workspace: Sign Bob out of every session\n\n"
        "### What failed\n\n"
        "- Google Workspace: Remove from group eng@example.org (role MEMBER) (HTTP 503 from groups API)\n\n"
        "### What waits on a person\n\n"
        "- Manual steps: Remove Bob as a bank signer: "
        "`offboard confirm run-20261124-1000 manual:bank --by YOUR-NAME`\n\n"
        "Once a step is done, run its command; add `--evidence FILE` and `--reference REF` where you have them, "
        "or `--not-applicable --reason WHY` when the step does not apply.\n\n"
        "### Skipped\n\n- Slack: not configured: skipped\n\n"
    )
    assert text.startswith("# Expulsion: Bob Example (m042)\n")
    assert "- Report 000003, signed; run run-20261124-1000\n" in text
    assert text.endswith(f"Previous report sha256: {'cd' * 32}. Check with `offboard verify`.\n")


def test_detail_rows_confirmations_and_findings():
    confirmation = {
        "action_id": "manual:bank", "by": "carol", "second_by": "dave", "at": "2026-11-25T09:00:00Z",
        "reference": "ticket 123", "note": None, "evidence": [{"name": "letter.pdf", "sha256": "ef" * 32}],
        "not_applicable": False, "reason": None,
    }
    finding = {"situation": "revoked but still active", "system": "slack", "account": "U1", "member": "m042",
               "detail": "seen again"}
    text = render(document(kind="confirm", status="complete", signed=False, confirmations=[confirmation],
                           findings=[finding], extra_key={"ignored": True}))
    assert "**Complete: every step is done.**" in text
    assert "- Report 000000, UNSIGNED (written with --unsigned); run run-20261124-1000" in text
    assert (
        "| Sign Bob out of every session (`google:signout`) | cut | changed | 2 | 0 | 1 |  "
        "| 2026-11-24T10:00:01Z | 2026-11-24T10:00:02Z |"
    ) in text
    assert (
        f"- `manual:bank` done, confirmed by carol and dave at 2026-11-25T09:00:00Z; reference: ticket 123; "
        f"evidence letter.pdf (sha256 {'ef' * 32})"
    ) in text
    assert "| revoked but still active | slack | U1 | m042 | seen again |" in text


def test_cells_cannot_break_the_table():
    odd = action("x:1", "Remove | pipe\nnewline", "clean", "failed", last_error="a|b", before={"k": "v"})
    text = render(document(systems=[{"name": "x", "title": "X", "actions": [odd]}]))
    assert '| Remove \\| pipe newline (`x:1`) | clean | failed | {"k": "v"} |  | 1 | a\\|b |' in text


def test_an_empty_document_still_renders():
    text = render({})
    assert text.startswith("# Report\n") and "- nothing was changed" in text
