"""The Markdown report reads as a note to the committee: the story first, short sections, the ids in an appendix."""

from __future__ import annotations

import re

from offboard.report.markdown import render
from tests.report.conftest import action, document

NOTICE = {"subject": "Your suspension", "from": "cc@example.org", "to": "Bob.Private@Home.test",
          "cc": ["records@example.org"], "sent_at": "2026-11-29T14:03:12Z", "message_id": "<n1@example.org>",
          "sha256": "ee" * 32, "server_reply": "250 OK"}


def body(text: str) -> str:
    """What a committee member reads: everything before the appendix."""
    return text.split("## Appendix: for the record")[0]


def opening(text: str) -> str:
    return text.split("\n\n")[1]


def section(text: str, title: str) -> str:
    return text.split(f"## {title}\n\n")[1].split("\n\n## ")[0]


def suspension(**changes):
    google = {"name": "google", "title": "Google Workspace", "account": "bob@example.org", "actions": [
        action("google:signout", "Sign Bob out of every session", "cut", "changed"),
        {**action("google:suspend", "Suspend the account", "cut", "changed"), "reversible": True}]}
    terms = {"until": "2026-12-31", "reason": "CC decision 2026-11-28: probation"}
    return document(**{"kind": "suspend", "status": "complete", "signed": True, "suspension": terms, "systems": [google],
                       **changes})


def test_an_expulsion_opens_with_who_what_when_by_whom_and_what_is_still_open():
    text = render(document(seq=3, prev_sha256="cd" * 32, signed=True))
    assert text.startswith("# Expulsion: Bob Example\n\n")
    assert opening(text) == (
        "Bob Example (member m042) is expelled from Example Org. It was carried out by alice@example.org on "
        "24 Nov 2026, 10:00 UTC. This report shows where things stood on 24 Nov 2026, 10:01 UTC. 1 change was made in "
        "1 system. Still open: 1 step for a person to do and 1 step that could not be done. It is signed; "
        "`offboard verify` checks the signature.")
    titles = re.findall(r"^## (.+)$", text, re.M)
    assert titles == ["Access ended", "Still to do by a person", "Could not be done", "Left out",
                      "Appendix: for the record"]
    assert section(text, "Access ended") == (
        "- Google Workspace (bob@example.org): 1 change, done on 24 Nov 2026, 10:00 UTC: Sign Bob out of every session.\n"
        "- Google Workspace: already so, nothing to change: Turn off backup codes.")
    assert section(text, "Still to do by a person") == (
        "- Manual steps: Remove Bob as a bank signer.\n\n"
        "Whoever does a step tells the operator, who records it with its evidence (the commands are in the appendix).")
    assert section(text, "Could not be done") == (
        "- Google Workspace: Remove from group eng@example.org (role MEMBER): failed after 3 attempts: "
        "HTTP 503 from groups API.")
    assert section(text, "Left out") == "- Slack: not configured: skipped."
    assert text.endswith(f"Previous report sha256: {'cd' * 32}. Check with `offboard verify`.\n")


def test_a_suspension_says_until_when_why_and_what_will_not_come_back():
    text = render(suspension(finished="2026-11-24T10:00:40Z"))
    assert text.startswith("# Suspension: Bob Example\n\n")
    assert opening(text) == (
        "Bob Example (member m042) is suspended from Example Org until 31 Dec 2026 (the end of that day, UTC). The "
        "reason given: CC decision 2026-11-28: probation. It was carried out by alice@example.org on 24 Nov 2026, "
        "10:00 UTC. 2 changes were made in 1 system. Nothing is left to do. It is signed; `offboard verify` checks "
        "the signature.")
    assert section(text, "Not coming back") == (
        "- Google Workspace: Sign Bob out of every session: this cannot be undone when the suspension ends.")
    assert section(text, "Still to do by a person") == "- Nothing: no step waits on a person."
    assert section(text, "Could not be done") == "- Nothing: everything that was tried worked."
    # the record keeps the terms as the signed JSON holds them
    assert "- Suspended until 2026-12-31 (the end of that day, UTC); reason: CC decision 2026-11-28: probation\n" in text


def test_a_reinstatement_says_what_came_back_and_what_did_not():
    google = {"name": "google", "title": "Google Workspace", "account": "bob@example.org",
              "lost": [{"action_id": "google:signout", "reason": "an ended session does not come back"}],
              "actions": [action("google:restore", "Give back the account", "clean", "changed"),
                          action("google:restore:eng", "Add back to eng", "clean", "changed")]}
    text = render(document(kind="reinstate", status="complete", signed=True, systems=[google],
                           reverses={"seq": 4, "kind": "suspend", "sha256": "44" * 32, "run_id": "run-s"}))
    assert opening(text).startswith(
        "Bob Example (member m042) is reinstated in Example Org: their suspension is over. It was carried out by "
        "alice@example.org on 24 Nov 2026, 10:00 UTC.")
    assert "2 changes were made in 1 system. Nothing is left to do." in opening(text)
    assert section(text, "Access given back") == (
        "- Google Workspace (bob@example.org): 2 changes, done by 24 Nov 2026, 10:00 UTC: Give back the account; "
        "Add back to eng.")
    assert section(text, "Not coming back") == "- Google Workspace: an ended session does not come back."
    assert f"- Reverses report 000004 (suspend, sha256 {'44' * 32})\n" in text
    assert "report 000004" not in body(text)


def test_counts_are_plural_only_when_there_are_several():
    one = action("x:1", "Remove from a", "clean", "failed", attempts=1, last_error="timeout")
    many = [action(f"x:{n}", f"Remove from {n}", "clean", "changed") for n in range(3)]
    waiting = [action(f"m:{n}", f"Step {n}", "manual", "manual") for n in range(2)]
    text = render(document(systems=[{"name": "x", "title": "X", "actions": [one, *many]},
                                    {"name": "m", "title": "Bank", "actions": waiting}]))
    assert "3 changes were made in 1 system. Still open: 2 steps for a person to do and 1 step that could not be done." \
        in opening(text)
    assert "- X: 3 changes, done by 24 Nov 2026, 10:00 UTC: Remove from 0; Remove from 1; Remove from 2.\n" in text
    assert "- X: Remove from a: failed after 1 attempt: timeout.\n" in text
    text = render(document(systems=[{"name": "x", "title": "X", "actions": many[:1]},
                                    {"name": "y", "title": "Y", "actions": many[1:2]}], status="complete"))
    assert "2 changes were made in 2 systems. Nothing is left to do." in opening(text)


def test_ids_and_hashes_stay_in_the_appendix():
    text = render(document(seq=3, prev_sha256="cd" * 32, signed=True))
    ids = ["google:signout", "google:2sv", "google:group:eng@example.org", "manual:bank", "run-20261124-1000", "ab" * 32]
    assert [i for i in ids if i in body(text)] == []
    appendix = text.split("## Appendix: for the record")[1]
    assert ("| Action | System | State | Time |\n|---|---|---|---|\n"
            "| `google:signout` | google | changed | 2026-11-24T10:00:02Z |\n"
            "| `google:2sv` | google | ok | 2026-11-24T10:00:02Z |\n"
            "| `google:group:eng@example.org` | google | failed | 2026-11-24T10:00:02Z |\n"
            "| `manual:bank` | manual | manual | 2026-11-24T10:00:02Z |\n") in appendix
    assert "- Manual steps: `offboard confirm run-20261124-1000 manual:bank --by YOUR-NAME`\n" in appendix
    assert "- Report 000003, signed; run run-20261124-1000\n" in appendix
    assert "{" not in text  # no JSON value anywhere


def test_the_personal_address_is_shown_only_where_the_notice_was_sent():
    send = action("notice:send", "Send the written notice to bob.private@home.test as cc@example.org", "clean", "changed",
                  after={"sent_to": "bob.private@home.test", "message_id": "<n1@example.org>"})
    notice_system = {"name": "notice", "title": "Written notice", "account": "Bob.Private@Home.test", "actions": [send]}
    text = render(suspension(notices=[NOTICE], attachments={"000001-m042-notice.eml": "ee" * 32},
                             systems=[*suspension()["systems"], notice_system],
                             operator="bob.private@home.test's friend"))
    assert re.findall("bob.private@home.test", text, re.I) == ["Bob.Private@Home.test"]
    assert section(text, "Written notice") == (
        "- The written notice “Your suspension” was sent to Bob.Private@Home.test on 29 Nov 2026, 14:03 UTC, with a "
        "copy to records@example.org. Its exact text is kept beside this report as 000001-m042-notice.eml.")
    assert "The written notice was sent on 29 Nov 2026, 14:03 UTC." in opening(text)
    assert "Operator: the member's personal address's friend" in text  # anywhere else, it is left out
    assert ("- Message-ID `<n1@example.org>`, from cc@example.org, 2026-11-29T14:03:12Z (250 OK); stored as "
            f"`000001-m042-notice.eml` (sha256 {'ee' * 32})\n") in text
    assert "Send the written notice" not in body(text)  # not an access that ended: it has its own section


def test_approvals_name_the_approvers_and_their_decision_and_the_record_keeps_their_keys():
    approvals = {"digest": "dd" * 32, "required": 2, "missing": 0, "approved": [
        {"principal": "alice@example.org", "fingerprint": "SHA256:alice", "at": "2026-11-28T20:00:00Z",
         "decision": "minutes of 2026-11-28, item 4"},
        {"principal": "dan@example.org", "fingerprint": "SHA256:dan", "at": "2026-11-28T21:00:00Z"}]}
    text = render(document(approvals=approvals))
    assert ("It was approved by alice@example.org (minutes of 2026-11-28, item 4) and dan@example.org: 2 of 2 required "
            "approvals. It was carried out by") in opening(text)
    assert (f"- Approved plan {'dd' * 32}: 2 of 2 required approvals\n"
            "  - alice@example.org, key SHA256:alice, 2026-11-28T20:00:00Z: minutes of 2026-11-28, item 4\n"
            "  - dan@example.org, key SHA256:dan, 2026-11-28T21:00:00Z\n") in text
    assert "SHA256:alice" not in body(text)


def test_an_emergency_run_says_which_approvals_are_still_missing():
    approvals = {"digest": "dd" * 32, "required": 2, "missing": 1, "emergency": {"by": "carol", "reason": "leak"},
                 "approved": [{"principal": "alice@example.org", "fingerprint": "SHA256:a", "at": "2026-11-28T20:00:00Z"}]}
    text = render(document(approvals=approvals, status="complete", systems=[]))
    assert ("It was approved by alice@example.org: 1 of 2 required approvals. It was run as an emergency by carol; the "
            "reason given: leak.") in opening(text)
    assert "Still open: 1 approval still missing." in opening(text)
    assert section(text, "Still to do by a person") == (
        "- This was an emergency run: 1 approval still has to be added by the approvers.")
    assert "- Each missing approver: `offboard approve --run run-20261124-1000 --key PATH|agent`\n" in text


def test_a_step_confirmed_or_left_out_by_a_person_says_who():
    done = action("bank:signer", "Remove the member as signer", "manual", "changed", detail="done, confirmed by carol and dave")
    not_needed = action("bank:card", "Cancel the card", "manual", "skipped", detail="not applicable: no card (by carol)")
    confirmation = {"action_id": "bank:signer", "by": "carol", "second_by": "dave", "at": "2026-11-25T09:00:00Z",
                    "reference": "ticket 123", "evidence": [{"name": "letter.pdf", "sha256": "ef" * 32}],
                    "not_applicable": False, "os_user": "carol"}
    text = render(document(status="complete", systems=[{"name": "bank", "title": "Bank account",
                                                        "actions": [done, not_needed]}], confirmations=[confirmation]))
    assert section(text, "Access ended") == (
        "- Bank account: 1 change, done on 24 Nov 2026, 10:00 UTC: Remove the member as signer (done, confirmed by "
        "carol and dave).")
    assert section(text, "Left out") == "- Bank account: Cancel the card: not applicable: no card (by carol)."
    assert ("- `bank:signer` done, confirmed by carol and dave (OS user carol) at 2026-11-25T09:00:00Z; reference: "
            f"ticket 123; evidence letter.pdf (sha256 {'ef' * 32})\n") in text


def test_a_system_not_read_and_a_run_that_stopped_are_open():
    stopped = action("x:later", "Remove from later", "clean", "pending")
    held = action("x:held", "Invite to eng", "clean", "held", detail="waits for: Remove the member as signer")
    text = render(document(status="interrupted", systems=[
        {"name": "x", "title": "X", "actions": [stopped, held]},
        {"name": "y", "title": "Y", "error": True, "note": "could not be read: token expired", "actions": []}]))
    assert ("Nothing was changed. Still open: 1 system that could not be read, 1 step not done yet and 1 change held "
            "until a person's step is done.") in opening(text)
    assert section(text, "Could not be done") == (
        "- Y was not touched: it could not be read: token expired.\n"
        "- X: Remove from later: not done yet, the run stopped before it; the operator finishes the run.")
    assert "- X: Invite to eng: offboard does this itself once “Remove the member as signer” is done.\n" in text


def test_a_manual_steps_instructions_and_links_are_under_it():
    step = {**action("bank:signer", "Remove the member as signer", "manual", "manual"),
            "instructions": "Call the branch.\nAsk for form B-12.\n\nThe full letter follows.",
            "links": ["https://bank.example/b-12"]}
    text = render(document(systems=[{"name": "bank", "title": "Bank account", "actions": [step]}]))
    assert ("- Bank account: Remove the member as signer.\n"
            "  - Call the branch. Ask for form B-12. (more in the signed report)\n"
            "  - See https://bank.example/b-12\n") in text


def test_the_reader_who_verified_it_says_by_whom_it_is_signed():
    text = render(document(signed=True), checked="cc@example.org")
    assert opening(text).endswith("Its signature was checked just now: it is signed with the key of cc@example.org.")
    assert opening(render(document(signed=False))).endswith(
        "It is NOT signed (written with --unsigned): nothing shows who wrote it.")


def test_an_empty_document_still_renders():
    text = render({})
    assert text.startswith("# Report\n\nThis report is about The member in the organization.")
    assert "- Nothing was changed.\n" in text


def test_an_audit_keeps_its_record_and_tables():
    text = render({"kind": "audit", "status": "findings", "seq": 2, "summary": {"situations": {"stale": 1}},
                   "systems": [{"name": "x", "title": "X", "accounts": 3, "active": 2, "linked": 1}],
                   "findings": [{"situation": "stale", "system": "x", "account": "a@example.org", "member": "m1",
                                 "detail": "left in 2025"}]})
    assert text.startswith("# Audit\n\n**1 finding(s): 1 stale.**\n\n- Organization:  ()\n- Report 000002, UNSIGNED")
    assert "## Systems\n\n- X: 3 accounts, 2 active, 1 linked to active members\n" in text
    assert "| stale | x | a@example.org | m1 | left in 2025 |\n" in text
