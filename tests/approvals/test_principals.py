"""Principals: compared after NFKC and case folding, look-alikes kept apart, file names safe and one-to-one."""

from __future__ import annotations

import pytest

from offboard.approvals import Approvers, canonical, slug
from offboard.errors import ConfigurationError
from tests.approvals.conftest import folder, key_of

CYRILLIC_ALICE = "\u0410lice"  # a Cyrillic capital A, then "lice": looks like "Alice"


def test_case_and_unicode_forms_are_one_principal():
    assert canonical("Alice@Example.ORG") == canonical("alice@example.org")
    assert canonical("\uff41lice") == canonical("alice")  # a fullwidth a (NFKC)
    assert canonical("Stra\u00dfe") == canonical("STRASSE")  # case folding, not lowercasing
    assert canonical(CYRILLIC_ALICE) != canonical("Alice")


@pytest.mark.parametrize("principal", ["alice@example.org", "Alice Admin", "../../etc/passwd", ".hidden", "-rf",
                                       "a/b\\c", "100%", "%25", CYRILLIC_ALICE, "x" * 400, "é" * 300])
def test_a_slug_is_a_safe_file_name(principal):
    name = slug(principal)
    assert "/" not in name and "\\" not in name and "\0" not in name
    assert not name.startswith((".", "-")) and name not in ("", ".", "..")
    assert len(f"{name}.json.sig".encode()) < 255
    assert name == slug(principal.upper()) or principal.upper() == principal or canonical(principal) != canonical(
        principal.upper())


def test_distinct_principals_never_share_a_file_name():
    principals = ["alice", "Alice", "ALICE", CYRILLIC_ALICE, "alice%", "alice%25", "alice%2525", "al/ice", "al%2Fice",
                  "al%2fice", ".alice", "%2Ealice", "alice.", "a lice", "a%20lice", "x" * 400, "x" * 399 + "y",
                  "é", "%C3%A9", "e\u0301"]
    by_slug: dict[str, set[str]] = {}
    for principal in principals:
        by_slug.setdefault(slug(principal).lower(), set()).add(canonical(principal))  # .lower(): a case-blind disk
    assert all(len(forms) == 1 for forms in by_slug.values()), by_slug
    assert slug("alice@example.org") == "alice@example.org"


def approvers(*lines: str) -> Approvers:
    return Approvers.parse("".join(line + "\n" for line in lines), "keys/approvers")


KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFndXllCqj/h4fVFqQ2lo5TsPngCWrmbJPMKn45Mq9Er"


def test_two_spellings_of_one_approver_are_a_configuration_error():
    with pytest.raises(ConfigurationError) as caught:
        approvers(f"Alice@example.org {KEY}", f"alice@example.org {KEY}")
    assert str(caught.value) == ("approvers file keys/approvers line 2: principal 'alice@example.org' is the same approver "
                                 "as 'Alice@example.org' on line 1 (they differ only in case or Unicode form): spell "
                                 "each approver one way")
    with pytest.raises(ConfigurationError, match="is the same approver"):
        approvers(f"alice {KEY}", f"\uff41lice {KEY}")


@pytest.mark.parametrize(("principal", "why"), [
    ("*@example.org", "is a pattern: name each approver on their own line, without * ? or !"),
    ("!eve", "is a pattern"),
    ('"al\u200bice"', "principal 'al\\u200bice' cannot name an approver (it holds the invisible or control character "
                     "U+200B): fix it"),
])
def test_patterns_and_invisible_characters_are_refused(principal, why):
    with pytest.raises(ConfigurationError) as caught:
        approvers(f"{principal} {KEY}")
    assert why in str(caught.value)


def test_one_spelling_on_several_lines_is_a_key_rotation():
    parsed = approvers(f"alice@example.org {KEY}", f"alice@example.org {KEY}")
    assert parsed.spelling("ALICE@example.org") == "alice@example.org"
    assert parsed.principals_for(parsed.entries[0].key) == ["alice@example.org"]


def test_an_empty_approvers_file_is_refused():
    with pytest.raises(ConfigurationError, match="lists nobody"):
        approvers("# the committee, one line each")


def test_a_look_alike_principal_is_another_principal_and_one_key_counts_once(approving, cli, keys):
    line = keys["alice"].public_key_line
    approving.write("keys/approvers", f"Alice {line}\n{CYRILLIC_ALICE} {line}\nbob {keys['bob'].public_key_line}\n")
    code, _, err = cli("approve", "plan.json", "--key", key_of(keys, "alice"), "--yes")
    assert (code, err) == (1, f"Error: key {keys['alice'].fingerprint} is listed for several approvers (Alice, "
                              f"{CYRILLIC_ALICE}): pass --as PRINCIPAL\n")
    assert cli("approve", "plan.json", "--key", key_of(keys, "alice"), "--yes", "--as", "ALICE")[0] == 0
    assert cli("approve", "plan.json", "--key", key_of(keys, "alice"), "--yes", "--as", CYRILLIC_ALICE)[0] == 0
    assert sorted(p.name for p in folder(approving).iterdir()) == sorted(
        [f"{slug(CYRILLIC_ALICE)}.json", f"{slug(CYRILLIC_ALICE)}.json.sig", "alice.json", "alice.json.sig"])
    code, out, _ = cli("approvals", "plan.json")  # files are read in name order: the Cyrillic one sorts first
    assert f"  {CYRILLIC_ALICE} (key {keys['alice'].fingerprint}) at " in out
    assert (f"  alice.json: key {keys['alice'].fingerprint} already approved as {CYRILLIC_ALICE} in "
            f"{slug(CYRILLIC_ALICE)}.json: each key counts once") in out
    assert out.splitlines()[-1].startswith("1 more approval needed (1 of 2)")


def test_the_principal_typed_after_as_is_compared_folded(approving, cli, keys):
    code, out, _ = cli("approve", "plan.json", "--key", key_of(keys, "dana"), "--yes", "--as", "DANA@Example.org")
    assert code == 0 and " as dana@example.org " in out
    assert (folder(approving) / "dana@example.org.json").is_file()
