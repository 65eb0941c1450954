"""Manual steps that need a second confirmer, where [approvals] approvers is configured: each confirmer signs
with their own key, and the two must be different principals with different keys. Without approvers, names
typed after --by are compared after NFKC and case folding, and a name mixing scripts is refused."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from offboard.approvals.confirmation import verify_confirmation
from offboard.report.signing.keys import GeneratedKey, generate_key
from tests.report.conftest import agent_socket, ssh_add  # noqa: F401  (agent_socket: a fixture, a real ssh-agent)

NAMESPACE = "offboard-approval@example.org"
STEP = "bank:remove-signer"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedKey]:
    """alice has two keys; dana and frank share one (listed for both); eve is nobody's approver."""
    folder = tmp_path_factory.mktemp("confirmer-keys")
    return {name: generate_key(folder / name, f"{name}@example.org")
            for name in ("alice", "alice2", "bob", "shared", "eve")}


def approvers_text(keys: dict[str, GeneratedKey]) -> str:
    return (f"alice@example.org {keys['alice'].public_key_line}\n"
            f"alice@example.org {keys['alice2'].public_key_line}\n"
            f'bob@example.org namespaces="{NAMESPACE}" {keys["bob"].public_key_line}\n'
            f"dana@example.org {keys['shared'].public_key_line}\n"
            f"frank@example.org {keys['shared'].public_key_line}\n")


@pytest.fixture
def run_id(org, cli) -> str:
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    assert code == 3
    return json.loads(out)["run_id"]


@pytest.fixture
def approvers(org, run_id, keys, monkeypatch) -> Path:
    """The org, its run waiting on the two-person step, and then [approvals] approvers configured."""
    monkeypatch.delenv("OFFBOARD_APPROVER_KEY", raising=False)
    with (org.root / "offboard.toml").open("a") as handle:
        handle.write('\n[approvals]\napprovers = "keys/approvers"\n')
    return org.write("keys/approvers", approvers_text(keys))


def key(keys: dict[str, GeneratedKey], name: str) -> str:
    return str(keys[name].private_path)


def nothing_recorded(org, run_id: str) -> None:
    from offboard.operations import Session

    with Session.open(str(org.root / "offboard.toml")) as session:
        assert session.journal.confirmations(run_id) == []
        assert session.journal.confirmation_proofs(run_id) == []


def step_state(cli, run_id: str) -> tuple[str, str]:
    _, out, _ = cli("status", run_id, "--json")
    step = next(a for a in json.loads(out)["actions"] if a["id"] == STEP)
    return step["state"], step["detail"]


def test_two_people_with_their_own_keys_close_the_step_and_the_report_proves_it(org, cli, run_id, approvers, keys):
    letter = org.write("letter.pdf", "the bank's letter")
    code, out, err = cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--evidence", str(letter))
    assert (code, err) == (3, "")
    assert out == (f"Recorded: {STEP} confirmed by alice@example.org. Signed as alice@example.org with key "
                   f"{keys['alice'].fingerprint}. It needs a second confirmer: offboard confirm {run_id} {STEP} "
                   "--key PATH|agent\n")
    code, out, err = cli("confirm", run_id, "remove-signer", "--key", key(keys, "bob"), "--by", "Bob Builder")
    assert (code, err) == (0, "")
    assert out.startswith(f"Recorded: {STEP} is closed. Run {run_id} is now complete. Signed as bob@example.org with "
                          f"key {keys['bob'].fingerprint}.\nReport: ")
    assert step_state(cli, run_id) == ("changed", "done, confirmed by alice@example.org and Bob Builder")
    report_path = Path(out.split("Report: ")[1].strip())
    report = json.loads(report_path.read_text())
    first, second = report["confirmations"]
    assert (first["by"], first["os_user"], second["by"], second["os_user"]) == (
        "alice@example.org", "carol", "Bob Builder", "carol")
    assert [(c["signed"]["principal"], c["signed"]["fingerprint"], c["signed"]["namespace"]) for c in (first, second)] == [
        ("alice@example.org", keys["alice"].fingerprint, NAMESPACE), ("bob@example.org", keys["bob"].fingerprint, NAMESPACE)]
    for confirmation in (first, second):
        statement = verify_confirmation(confirmation["signed"], approvers.read_text(), NAMESPACE)
        assert (statement["run_id"], statement["system"], statement["step"]) == (run_id, "bank", STEP)
        assert statement["principal"] == confirmation["signed"]["principal"]
        assert statement["at"] == confirmation["at"]
        assert statement["evidence"] == confirmation["evidence"]
    assert json.loads(first["signed"]["statement"])["evidence"][0]["name"] == "letter.pdf"
    markdown = report_path.with_suffix(".md").read_text()
    assert (f"confirmed by alice@example.org (OS user carol) at {first['at']}; signed by alice@example.org with key "
            f"{keys['alice'].fingerprint}") in markdown
    assert f"confirmed by Bob Builder (OS user carol) at {second['at']}; signed by bob@example.org with key" in markdown


def test_a_signature_in_the_report_does_not_verify_once_its_statement_is_edited(org, cli, run_id, approvers, keys):
    from offboard.report.signing.sshsig import SignatureError

    cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--reference", "CASE-1")
    _, out, _ = cli("confirm", run_id, STEP, "--key", key(keys, "bob"))
    signed = json.loads(Path(out.split("Report: ")[1].strip()).read_text())["confirmations"][0]["signed"]
    edited = {**signed, "statement": signed["statement"].replace("CASE-1", "CASE-2")}
    with pytest.raises(SignatureError):
        verify_confirmation(edited, approvers.read_text(), NAMESPACE)
    with pytest.raises(SignatureError):
        verify_confirmation(signed, approvers.read_text(), "offboard-report@example.org")


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (OpenSSH) is not installed")
def test_anyone_can_check_a_signed_confirmation_with_ssh_keygen(org, cli, run_id, approvers, keys, tmp_path):
    cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--reference", "CASE-1")
    _, out, _ = cli("confirm", run_id, STEP, "--key", key(keys, "bob"), "--by", "Bób")
    for confirmation in json.loads(Path(out.split("Report: ")[1].strip()).read_text())["confirmations"]:
        signed = confirmation["signed"]
        (tmp_path / "confirmation.sig").write_text(signed["signature"])
        command = ["ssh-keygen", "-Y", "verify", "-f", str(approvers), "-I", signed["principal"], "-n", NAMESPACE,
                   "-s", str(tmp_path / "confirmation.sig")]
        done = subprocess.run(command, input=signed["statement"].encode(), capture_output=True, check=False)
        assert done.returncode == 0, done.stderr
        edited = signed["statement"].replace("bank", "bonk").encode()
        assert subprocess.run(command, input=edited, capture_output=True, check=False).returncode != 0


def test_keys_held_by_ssh_agent_or_named_by_the_environment_sign(org, cli, run_id, approvers, keys, monkeypatch, request):
    socket_path = request.getfixturevalue("agent_socket")
    ssh_add(socket_path, keys["eve"].private_path)  # not an approver: passed over
    ssh_add(socket_path, keys["bob"].private_path)
    monkeypatch.setenv("SSH_AUTH_SOCK", socket_path)
    code, out, err = cli("confirm", run_id, STEP, "--key", "agent", "--reference", "CASE-1")
    assert (code, err) == (3, "")
    assert f"Signed as bob@example.org with key {keys['bob'].fingerprint}." in out
    monkeypatch.setenv("OFFBOARD_APPROVER_KEY", key(keys, "alice"))
    code, out, err = cli("confirm", run_id, STEP)
    assert (code, err) == (0, "")
    assert f"is now complete. Signed as alice@example.org with key {keys['alice'].fingerprint}." in out


def test_the_same_key_twice_is_refused(org, cli, run_id, approvers, keys):
    cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--reference", "CASE-1")
    assert cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--by", "Someone Else") == (
        1, "", f"Error: alice@example.org already confirmed step {STEP} (with key {keys['alice'].fingerprint}): a second, "
               "different person must confirm it with their own key\n")
    assert step_state(cli, run_id) == ("manual", "confirmed by alice@example.org; waiting for a second confirmer")


def test_the_same_principal_with_another_of_their_keys_is_refused(org, cli, run_id, approvers, keys):
    cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--reference", "CASE-1")
    assert cli("confirm", run_id, STEP, "--key", key(keys, "alice2")) == (
        1, "", f"Error: alice@example.org already confirmed step {STEP} (with key {keys['alice'].fingerprint}): a second, "
               "different person must confirm it with their own key\n")


def test_one_key_listed_for_two_principals_confirms_once(org, cli, run_id, approvers, keys):
    code, _, err = cli("confirm", run_id, STEP, "--key", key(keys, "shared"), "--as", "dana@example.org",
                       "--reference", "CASE-1")
    assert (code, err) == (3, "")
    assert cli("confirm", run_id, STEP, "--key", key(keys, "shared"), "--as", "FRANK@example.org") == (
        1, "", f"Error: key {keys['shared'].fingerprint} already confirmed step {STEP} (as dana@example.org): a second "
               "person must confirm it with their own key\n")


def test_an_unsigned_confirmation_of_a_two_person_step_is_refused_when_approvers_are_configured(
        org, cli, run_id, approvers, keys):
    expected = (1, "", f"Error: step {STEP} needs two people, each signing with their own key, since [approvals] approvers "
                       "is configured: pass --key PATH (your own SSH private key) or --key agent\n")
    assert cli("confirm", run_id, STEP, "--by", "Dana", "--reference", "CASE-1") == expected
    nothing_recorded(org, run_id)
    cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--reference", "CASE-1")
    assert cli("confirm", run_id, STEP, "--by", "Eve") == expected
    assert step_state(cli, run_id)[0] == "manual"


def test_bad_signing_input_records_nothing(org, cli, run_id, approvers, keys):
    assert cli("confirm", run_id, STEP, "--reference", "CASE-1") == (
        1, "", "Error: --by needs the name of the person confirming (or sign with --key PATH|agent)\n")
    assert cli("confirm", run_id, STEP, "--by", "Dana", "--as", "alice@example.org", "--reference", "CASE-1") == (
        1, "", "Error: --as PRINCIPAL says whose key signs: pass --key PATH|agent with it\n")
    code, _, err = cli("confirm", run_id, STEP, "--key", key(keys, "eve"), "--reference", "CASE-1")
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"Error: key {keys['eve'].fingerprint} is not in the approvers file ")
    code, _, err = cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--as", "bob@example.org",
                       "--reference", "CASE-1")
    assert code == 1 and err.startswith(f"Error: key {keys['alice'].fingerprint} is not listed for bob@example.org")
    code, _, err = cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--as", "mallory", "--reference", "CASE-1")
    assert code == 1 and err.startswith("Error: 'mallory' is not an approver in ")
    code, _, err = cli("confirm", run_id, STEP, "--key", str(org.root / "nope"), "--reference", "CASE-1")
    assert code == 1 and err.startswith("Error: approver key ") and err.count("\n") == 1
    code, _, err = cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--by", "\u0410lice", "--reference", "X")
    assert (code, err) == (1, "Error: --by '\u0410lice' cannot tell a person apart: it mixes Cyrillic and Latin letters: type "
                              "the name in one script\n")
    nothing_recorded(org, run_id)


def test_a_step_without_a_second_confirmer_takes_a_name_or_a_signature(org, cli, keys):
    org.write("playbooks/test.yaml", """\
        name: test
        description: two one-person steps
        steps:
          - connector: manual
            system: bank
            title: Bank account
            steps:
              - id: remove-signer
                title: Remove the member as signer
              - id: close-card
                title: Close the card
        """)
    code, out, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned", "--json")
    run = json.loads(out)["run_id"]
    with (org.root / "offboard.toml").open("a") as handle:
        handle.write('\n[approvals]\napprovers = "keys/approvers"\n')
    org.write("keys/approvers", approvers_text(keys))
    assert cli("confirm", run, "remove-signer", "--by", "Dana")[0] == 3
    code, out, err = cli("confirm", run, "close-card", "--key", key(keys, "bob"))
    assert (code, err) == (0, "")
    assert f"is now complete. Signed as bob@example.org with key {keys['bob'].fingerprint}." in out
    report = json.loads(Path(out.split("Report: ")[1].strip()).read_text())
    assert [(c["by"], c["os_user"], bool(c["signed"])) for c in report["confirmations"]] == [
        ("Dana", "carol", False), ("bob@example.org", "carol", True)]


def test_a_key_without_approvers_configured_is_refused(org, cli, run_id, keys):
    assert cli("confirm", run_id, STEP, "--key", key(keys, "alice"), "--reference", "CASE-1") == (
        1, "", "Error: --key signs a confirmation as one of the approvers of [approvals] approvers, which offboard.toml "
               "does not configure: confirm with --by NAME, or configure approvers\n")
    nothing_recorded(org, run_id)


@pytest.mark.parametrize("same", ["dana", "DANA", "\uff24\uff41\uff4e\uff41", " Dana "])
def test_names_that_differ_only_in_case_or_width_are_one_person(org, cli, run_id, same):
    cli("confirm", run_id, STEP, "--by", "Dana", "--reference", "CASE-1")
    code, out, err = cli("confirm", run_id, STEP, "--by", same)
    assert (code, out) == (1, "")
    assert err == f"Error: {same.strip()} already confirmed step {STEP}: a second, different person must confirm it\n"


def test_a_name_mixing_scripts_is_refused(org, cli, run_id):
    cli("confirm", run_id, STEP, "--by", "Alice", "--reference", "CASE-1")
    assert cli("confirm", run_id, STEP, "--by", "\u0410lice") == (  # a Cyrillic A
        1, "", "Error: --by '\u0410lice' cannot tell a person apart: it mixes Cyrillic and Latin letters: type the name in "
               "one script\n")
    assert cli("confirm", run_id, STEP, "--by", "Ali\u200bce") == (
        1, "", "Error: --by 'Ali\\u200bce' cannot tell a person apart: it holds the invisible or control character "
               "U+200B: type the name as plain text\n")
    assert step_state(cli, run_id)[0] == "manual"


def test_names_in_one_script_each_are_people_of_their_own(org, cli, run_id):
    """NFKC folds width and case, not scripts: a name written wholly in Cyrillic is another name (keys tell people
    apart for sure)."""
    cli("confirm", run_id, STEP, "--by", "Alisa", "--reference", "CASE-1")
    code, _, err = cli("confirm", run_id, STEP, "--by", "Алиса")
    assert (code, err) == (0, "")
    assert step_state(cli, run_id) == ("changed", "done, confirmed by Alisa and Алиса")


def test_the_os_user_is_recorded_with_each_confirmation(org, cli, run_id, monkeypatch):
    cli("confirm", run_id, STEP, "--by", "Dana", "--reference", "CASE-1")
    monkeypatch.setenv("OFFBOARD_OPERATOR", "erin")
    _, out, _ = cli("confirm", run_id, STEP, "--by", "Eve")
    report_path = Path(out.split("Report: ")[1].strip())
    report = json.loads(report_path.read_text())
    assert [(c["by"], c["os_user"], c["signed"]) for c in report["confirmations"]] == [
        ("Dana", "carol", None), ("Eve", "erin", None)]
    markdown = report_path.with_suffix(".md").read_text()
    assert "confirmed by Dana (OS user carol) at " in markdown and "confirmed by Eve (OS user erin) at " in markdown
    from offboard.operations import Session

    with Session.open(str(org.root / "offboard.toml")) as session:
        assert [p and p["os_user"] for p in session.journal.confirmation_proofs(run_id)] == ["carol", "erin"]
