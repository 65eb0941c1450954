"""Each bad input is one `Error:` line and exit 1, and no approval is written."""

from __future__ import annotations

import json

import pytest

from offboard.config import ApprovalSettings, parse_config
from tests.approvals.conftest import APPROVALS, folder, key_of


def refused(cli, org, *args: str) -> str:
    code, out, err = cli(*args)
    assert (code, out) == (1, ""), err
    assert err.startswith("Error: ") and err.count("\n") == 1, err
    assert not folder(org).exists()
    return err.removeprefix("Error: ").rstrip("\n")


def test_approve_without_approvals_configured_says_what_to_add(org, cli, keys):
    cli("expel", "m042", "--playbook", "test", "--save-plan", "plan.json")
    assert refused(cli, org, "approve", "plan.json", "--key", key_of(keys, "alice"), "--yes") == (
        "approvals are not configured: add to offboard.toml an [approvals] table with required = 2 (how many distinct "
        'approvers a plan needs) and approvers = "keys/approvers" (an allowed_signers file, one line per approver: '
        "PRINCIPAL ssh-ed25519 AAAA...)")
    assert refused(cli, org, "approvals", "plan.json").startswith("approvals are not configured")


def test_approve_without_a_key(approving, cli):
    assert refused(cli, approving, "approve", "plan.json", "--yes") == (
        "whose approval? pass --key PATH (your own SSH private key) or --key agent, or set $OFFBOARD_APPROVER_KEY")


def test_approve_with_a_key_file_that_is_missing_or_not_a_key(approving, cli):
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", "nosuch") == (
        "approver key nosuch does not exist: pass --key with your own SSH private key file, or --key agent")
    approving.write("notakey", "hello")
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", "notakey") == (
        "approver key notakey is not a usable OpenSSH private key: pass --key with your own Ed25519, ECDSA or RSA "
        "private key file, or --key agent")


def test_approve_with_a_key_the_approvers_file_does_not_list(approving, cli, keys):
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", key_of(keys, "eve")) == (
        f"key {keys['eve'].fingerprint} is not in the approvers file {approving.root}/keys/approvers: ask the committee "
        f"to add your line to it: PRINCIPAL {keys['eve'].public_key_line}")


def test_approve_as_someone_else(approving, cli, keys):
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", key_of(keys, "alice"), "--as",
                   "dana@example.org") == (
        f"key {keys['alice'].fingerprint} is not listed for dana@example.org in {approving.root}/keys/approvers (it is "
        "listed for alice@example.org): sign with dana@example.org's own key")
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", key_of(keys, "alice"), "--as", "mallory") == (
        f"'mallory' is not an approver in {approving.root}/keys/approvers (approvers: alice@example.org, bob@example.org, "
        "dana@example.org): pass --as with one of them")


@pytest.mark.parametrize(("decision", "why"), [
    ("item 4\nand then some", "it holds a line break or a control character; give it as one line"),
    ("x" * 501, "it is 501 characters long; keep it under 500 (name the minutes and the item)"),
])
def test_a_decision_that_cannot_be_signed(approving, cli, keys, decision, why):
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", key_of(keys, "alice"), "--decision",
                   decision) == f"--decision cannot be signed: {why}"


def test_a_missing_or_foreign_plan(approving, cli, keys):
    assert refused(cli, approving, "approve", "nosuch.json", "--yes", "--key", key_of(keys, "alice")) == (
        "plan file nosuch.json does not exist")
    document = json.loads((approving.root / "plan.json").read_text())
    document["org"]["domain"] = "other.example"
    approving.write("foreign.json", json.dumps(document))
    assert refused(cli, approving, "approve", "foreign.json", "--yes", "--key", key_of(keys, "alice")) == (
        "plan file foreign.json is a plan of other.example, but offboard.toml is example.org's: use that org's config")


def test_a_missing_or_bad_approvers_file(approving, cli, keys):
    (approving.root / "keys/approvers").unlink()
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", key_of(keys, "alice")) == (
        f"approvers file {approving.root}/keys/approvers ([approvals] approvers) does not exist: create it with one line "
        "per approver, PRINCIPAL ssh-ed25519 AAAA... (their public key)")
    approving.write("keys/approvers", f"*@example.org {keys['alice'].public_key_line}\n")
    assert refused(cli, approving, "approvals", "plan.json") == (
        f"approvers file {approving.root}/keys/approvers line 1: principal '*@example.org' is a pattern: name each "
        "approver on their own line, without * ? or !")
    approving.write("keys/approvers", "alice@example.org ssh-ed25519\n")
    assert refused(cli, approving, "approvals", "plan.json").startswith(
        f"{approving.root}/keys/approvers line 1 is not valid (")


def test_agent_without_ssh_auth_sock(approving, cli):
    assert refused(cli, approving, "approve", "plan.json", "--yes", "--key", "agent") == (
        '--key agent but SSH_AUTH_SOCK is not set: start ssh-agent (eval "$(ssh-agent)") and ssh-add your approver key')


@pytest.mark.parametrize(("table", "problem"), [
    ("required = -1\napprovers = 'a'", "[approvals] required must be a whole number of approvers, 0 or more (0 turns "
                                       "approvals off), not -1"),
    ("required = '2'\napprovers = 'a'", "[approvals] required must be a whole number of approvers, 0 or more (0 turns "
                                        "approvals off), not '2'"),
    ("required = true\napprovers = 'a'", "not True"),
    ("required = 1.5\napprovers = 'a'", "not 1.5"),
    ("required = 2", "[approvals] required = 2 but approvers is missing: set approvers to the allowed_signers file of "
                     'the approvers, e.g. approvers = "keys/approvers"'),
    ("approvers = ''", '[approvals] approvers must be the path of an allowed_signers file, e.g. "keys/approvers"'),
    ("approvers = 3", "[approvals] approvers must be the path of an allowed_signers file"),
    ("approvers = 'a'\nemergency = 'yes'", "[approvals] emergency must be true or false, not 'yes'"),
    ("approvers = 'a'\nquorum = 2", "[approvals]: unknown key 'quorum' (known: approvers, emergency, required)"),
])
def test_each_bad_approvals_setting_is_one_error_line(org, cli, table, problem):
    org.write("offboard.toml", (org.root / "offboard.toml").read_text() + f"\n[approvals]\n{table}\n")
    err = refused(cli, org, "approvals", "plan.json")
    assert err.startswith(f"{org.root}/offboard.toml: ") and problem in err


def test_the_approvals_table_when_valid(tmp_path):
    base = {"org": {"name": "E", "domain": "example.org"}, "roster": {"path": "r.csv"}}
    assert parse_config(base, tmp_path / "offboard.toml", {}).approvals == ApprovalSettings(0, None, False)
    settings = parse_config({**base, "approvals": {"required": 2, "approvers": "keys/approvers", "emergency": True}},
                            tmp_path / "offboard.toml", {}).approvals
    assert settings == ApprovalSettings(2, tmp_path / "keys/approvers", True) and settings.configured
    assert "required = 2" in APPROVALS
