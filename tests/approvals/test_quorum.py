"""Approvals bound to the plan's digest: what counts toward the quorum, and what does not and why."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from offboard.approvals import QuorumNotMet, read_approvals, sign_approval
from offboard.operations import Session, require_quorum
from offboard.plans.plan import Plan
from offboard.report.signing import sshsig
from tests.approvals.conftest import NAMESPACE, approvers_text, folder, key_of, signer
from tests.report.conftest import needs_ssh_keygen, ssh_add


def approve(cli, keys, name, *extra, plan="plan.json"):
    return cli("approve", plan, "--key", key_of(keys, name), "--yes", *extra)


def quorum_of(org, plan="plan.json"):
    with Session.open(str(org.root / "offboard.toml")) as session:
        return require_quorum(session, org.root / plan, Plan.load(org.root / plan))


def rejected(cli, plan="plan.json"):
    code, out, _ = cli("approvals", plan, "--json")
    assert code == 0
    return {r["file"]: r["code"] for r in json.loads(out)["rejected"]}


def test_two_distinct_approvers_meet_the_quorum(approving, cli, keys):
    digest = Plan.load(approving.root / "plan.json").digest
    code, out, _ = approve(cli, keys, "alice", "--decision", "minutes of 2026-11-28, item 4")
    assert code == 0
    fp = keys["alice"].fingerprint
    assert out.startswith("Plan: expel m042 Bob Example <bob@example.org>\n")  # shown before it is signed
    assert out.splitlines()[-4:] == [
        f"Approved plan.json ({digest}) as alice@example.org with key {fp}.",
        "Decision: minutes of 2026-11-28, item 4",
        "Written: plan.json.approvals/alice@example.org.json and alice@example.org.json.sig; share both with whoever "
        "applies the plan.",
        "1 more approval needed (1 of 2). Each approver runs: offboard approve plan.json --key PATH|agent",
    ]
    assert approve(cli, keys, "bob")[1].splitlines()[-1] == "Quorum met (2 of 2)."
    code, out, _ = cli("approvals", "plan.json")
    lines = out.splitlines()
    assert lines[0] == f"Plan plan.json: {digest}"
    assert lines[1] == "Approved by:"
    assert lines[2].startswith(f"  alice@example.org (key {fp}) at 20")
    assert lines[2].endswith("Z, decision: minutes of 2026-11-28, item 4")
    assert lines[3].startswith(f"  bob@example.org (key {keys['bob'].fingerprint}) at 20")
    assert lines[-1] == "Quorum met (2 of 2)."
    quorum = quorum_of(approving)
    assert quorum.met and [a.principal for a in quorum.approved] == ["alice@example.org", "bob@example.org"]
    recorded = quorum.to_dict()
    assert (recorded["digest"], recorded["namespace"], recorded["required"], recorded["missing"]) == (digest, NAMESPACE, 2, 0)
    assert recorded["approved"][0]["decision"] == "minutes of 2026-11-28, item 4"
    assert recorded["approved"][0]["fingerprint"] == fp


def test_short_of_the_quorum_names_who_approved_and_how_many_are_missing(approving, cli, keys):
    with pytest.raises(QuorumNotMet) as caught:
        quorum_of(approving)
    assert str(caught.value) == (
        f"{approving.root}/plan.json needs 2 distinct approvers and has 0 (nobody yet): 2 more approvals needed, so "
        f"nothing is applied. Each approver runs: offboard approve {approving.root}/plan.json --key PATH|agent; see who "
        f"approved with: offboard approvals {approving.root}/plan.json")
    assert caught.value.exit_code == 1
    approve(cli, keys, "alice")
    with pytest.raises(QuorumNotMet) as caught:
        quorum_of(approving)
    assert f"has 1 (alice@example.org ({keys['alice'].fingerprint})): 1 more approval needed, so nothing" in str(caught.value)
    assert cli("approvals", "plan.json")[1].splitlines()[-1] == (
        "1 more approval needed (1 of 2). Each approver runs: offboard approve plan.json --key PATH|agent")


def test_a_signature_over_another_plans_digest_does_not_count(approving, cli, keys):
    cli("expel", "m001", "--playbook", "test", "--save-plan", "other.json")
    assert approve(cli, keys, "bob", plan="other.json")[0] == 0
    approve(cli, keys, "alice")
    other = approving.root / "other.json.approvals"
    for name in ("bob@example.org.json", "bob@example.org.json.sig"):
        shutil.copy(other / name, folder(approving) / name)
    _, out, _ = cli("approvals", "plan.json")
    other_digest = Plan.load(approving.root / "other.json").digest
    assert f"  bob@example.org.json: it approves another plan ({other_digest}), not this one (" in out
    assert out.splitlines()[-1].startswith("1 more approval needed (1 of 2)")
    assert rejected(cli) == {"bob@example.org.json": "other-plan"}


def test_the_same_principal_twice_counts_once(approving, cli, keys):
    approve(cli, keys, "alice")
    code, out, _ = approve(cli, keys, "alice", "--decision", "second thoughts, same answer")
    assert code == 0 and "(your earlier approval was replaced)" in out
    assert sorted(p.name for p in folder(approving).iterdir()) == ["alice@example.org.json", "alice@example.org.json.sig"]
    for suffix in (".json", ".json.sig"):  # a copy saved from a mail, under another name
        shutil.copy(folder(approving) / f"alice@example.org{suffix}", folder(approving) / f"alice copy{suffix}")
    assert rejected(cli) == {"alice@example.org.json": "duplicate-principal"}  # "alice copy.json" sorts first
    assert len(quorum_of_or_short(approving).approved) == 1


def quorum_of_or_short(org):
    text = (org.root / "keys/approvers").read_text()
    plan = Plan.load(org.root / "plan.json")
    return read_approvals(org.root / "plan.json", plan.digest, text, NAMESPACE, required=2)


def test_a_key_the_approvers_file_does_not_list_does_not_count(approving, keys):
    plan_path = approving.root / "plan.json"
    sign_approval(plan_path, Plan.load(plan_path), "alice@example.org", "", signer(keys, "eve"), NAMESPACE)
    quorum = quorum_of_or_short(approving)
    assert quorum.approved == []
    assert [(r.file, r.code) for r in quorum.rejected] == [("alice@example.org.json", "unknown-key")]
    assert quorum.rejected[0].reason == (f"it is signed by key {keys['eve'].fingerprint}, which the approvers file does "
                                         "not list")


def test_an_approval_signed_for_another_principal_or_namespace_does_not_count(approving, keys):
    plan_path = approving.root / "plan.json"
    plan = Plan.load(plan_path)
    sign_approval(plan_path, plan, "dana@example.org", "", signer(keys, "alice"), NAMESPACE)  # alice's key as dana
    sign_approval(plan_path, plan, "bob@example.org", "", signer(keys, "bob"), "offboard-report@example.org")
    sign_approval(plan_path, plan, "mallory@example.org", "", signer(keys, "alice"), NAMESPACE)
    codes = {r.file: r.code for r in quorum_of_or_short(approving).rejected}
    assert codes == {"dana@example.org.json": "not-allowed", "bob@example.org.json": "wrong-namespace",
                     "mallory@example.org.json": "unknown-principal"}


def test_an_approval_edited_after_signing_does_not_count(approving, cli, keys):
    approve(cli, keys, "alice", "--decision", "minutes, item 4")
    approve(cli, keys, "bob")
    statement = folder(approving) / "alice@example.org.json"
    statement.write_bytes(statement.read_bytes().replace(b"item 4", b"item 5"))
    (folder(approving) / "bob@example.org.json.sig").write_text("not a signature\n")
    (folder(approving) / "dana@example.org.json.sig").write_text("a signature without its statement\n")
    (folder(approving) / "notes.json").write_text('{"format": "offboard-approval/1"}')
    assert rejected(cli) == {"alice@example.org.json": "bad-signature", "bob@example.org.json": "unreadable",
                             "dana@example.org.json.sig": "unreadable", "notes.json": "unreadable"}


def test_editing_the_plan_after_it_was_approved_voids_the_approvals(approving, cli, keys):
    approve(cli, keys, "alice")
    approve(cli, keys, "bob")
    assert quorum_of(approving).met
    plan_path = approving.root / "plan.json"
    document = json.loads(plan_path.read_text())
    document["systems"][0]["actions"][0]["params"] = {"extra": "injected"}
    plan_path.write_text(json.dumps(document))
    with pytest.raises(QuorumNotMet, match=r"has 0 \(nobody yet\): 2 more approvals needed"):
        quorum_of(approving)
    assert rejected(cli) == {"alice@example.org.json": "other-plan", "bob@example.org.json": "other-plan"}


def test_approvals_made_in_another_clone_of_the_config_count_here(approving, cli, keys, tmp_path_factory):
    clone = tmp_path_factory.mktemp("clone")  # another machine: the config repository and the plan, copied
    for name in ("offboard.toml", "roster.csv", "playbooks", "keys", "plan.json"):
        source = approving.root / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, clone / name)
    code, _, err = cli("approve", str(clone / "plan.json"), "--config", str(clone / "offboard.toml"), "--key",
                       key_of(keys, "dana"), "--yes", "--decision", "by mail")
    assert code == 0, err
    approve(cli, keys, "alice")
    for item in (clone / "plan.json.approvals").iterdir():  # dana mails her two files
        shutil.copy(item, folder(approving) / item.name)
    quorum = quorum_of(approving)
    assert quorum.met and [(a.principal, a.decision) for a in quorum.approved] == [
        ("alice@example.org", ""), ("dana@example.org", "by mail")]


def test_typing_the_member_id_approves(approving, cli, keys, typed):
    asked = typed("m042")
    code, out, err = cli("approve", "plan.json", "--key", key_of(keys, "alice"))
    assert code == 0, err
    assert out.startswith("Plan: expel m042 Bob Example <bob@example.org>\n")
    assert asked == ["Type the member id (m042) to apply these 6 actions, or press Enter to cancel"]
    assert "Nothing is changed now: `offboard apply` runs this exact plan once 2 approver(s) have signed it." in err
    assert (folder(approving) / "alice@example.org.json.sig").is_file()


def test_typing_another_member_id_signs_nothing(approving, cli, keys, typed):
    typed("m043")
    code, _, err = cli("approve", "plan.json", "--key", key_of(keys, "alice"))
    assert (code, err.splitlines()[-1]) == (1, "Aborted: nothing was changed.")
    assert not folder(approving).exists()


def test_the_json_of_an_approval(approving, cli, keys):
    code, out, _ = approve(cli, keys, "dana", "--json", "--decision", "item 4")
    document = json.loads(out)
    assert code == 0 and document["principal"] == "dana@example.org" and document["decision"] == "item 4"
    assert document["quorum"]["approved"][0]["fingerprint"] == keys["dana"].fingerprint
    assert document["quorum"]["missing"] == 1 and document["quorum"]["met"] is False


def test_the_approval_key_from_the_environment(approving, cli, keys, monkeypatch):
    monkeypatch.setenv("OFFBOARD_APPROVER_KEY", key_of(keys, "bob"))
    code, out, _ = cli("approve", "plan.json", "--yes")
    assert code == 0 and " as bob@example.org " in out


def test_an_approver_key_held_by_ssh_agent(approving, cli, keys, agent_socket, monkeypatch):
    ssh_add(agent_socket, keys["eve"].private_path)  # not an approver: passed over
    ssh_add(agent_socket, keys["dana"].private_path)
    monkeypatch.setenv("SSH_AUTH_SOCK", agent_socket)
    code, out, err = cli("approve", "plan.json", "--key", "agent", "--yes")
    assert code == 0, err
    assert f"as dana@example.org with key {keys['dana'].fingerprint}" in out
    ssh_add(agent_socket, keys["alice"].private_path)
    assert cli("approve", "plan.json", "--key", "agent", "--yes")[2].startswith(
        "Error: ssh-agent holds several approver keys (")
    code, out, _ = cli("approve", "plan.json", "--key", "agent", "--yes", "--as", "alice@example.org")
    assert code == 0 and "as alice@example.org" in out


@needs_ssh_keygen
def test_stock_ssh_keygen_verifies_an_approval(approving, cli, keys):
    approve(cli, keys, "alice", "--decision", "minutes, item 4")
    approve(cli, keys, "bob")
    for principal in ("alice@example.org", "bob@example.org"):
        command = ["ssh-keygen", "-Y", "verify", "-f", "keys/approvers", "-I", principal, "-n", NAMESPACE,
                   "-s", f"plan.json.approvals/{principal}.json.sig"]
        statement = (folder(approving) / f"{principal}.json").read_bytes()
        done = subprocess.run(command, cwd=approving.root, input=statement, capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        assert f'Good "{NAMESPACE}" signature for {principal}' in done.stdout.decode()
        assert json.loads(statement)["digest"] == Plan.load(approving.root / "plan.json").digest


def test_approvals_off_need_nothing(org, keys):
    plan_path = org.root / "plan.json"
    from tests.conftest import CONFIG

    assert "[approvals]" not in CONFIG
    with Session.open(str(org.root / "offboard.toml")) as session:
        from offboard.operations import expel as plan_expel
        from offboard.operations.revoke import ExpelRequest

        plan_expel(session, ExpelRequest("m042", "test", save_plan=plan_path))
        quorum = require_quorum(session, plan_path, Plan.load(plan_path))
    assert quorum.met and quorum.required == 0 and quorum.approved == []


def test_the_approvers_file_is_what_the_statement_is_checked_against(approving, cli, keys):
    approve(cli, keys, "alice")
    approve(cli, keys, "bob")
    # the committee removes bob: his approval no longer counts
    approving.write("keys/approvers", approvers_text(keys).replace(f"bob@example.org namespaces=\"{NAMESPACE}\" "
                                                                   f"{keys['bob'].public_key_line}\n", ""))
    assert rejected(cli) == {"bob@example.org.json": "unknown-key"}
    assert sshsig.fingerprint(sshsig.blob_from_line(keys["bob"].public_key_line)) == keys["bob"].fingerprint


def test_a_link_to_something_that_is_not_a_file_is_not_read(approving, cli, keys):
    approve(cli, keys, "alice")
    (folder(approving) / "zero.json").symlink_to("/dev/zero")
    (folder(approving) / "zero.json.sig").symlink_to("/dev/zero")
    assert rejected(cli) == {"zero.json": "unreadable"}
