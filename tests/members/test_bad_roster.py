"""A roster that cannot be read as members: one line naming the file and what to fix, exit 1, nothing written."""

from __future__ import annotations

import pytest

from offboard.errors import ConfigurationError
from offboard.members.roster import load_roster

CONFIG = "[org]\nname = 'Example Org'\ndomain = 'example.org'\n[roster]\npath = 'roster.toml'\n[connectors.fake]\nstate_file = 'fake.json'\n"
BOB = 'id = "m042"\nname = "Bob Example"\nemail = "bob@example.org"\npersonal_email = ""\nstatus = "active"\n'


@pytest.fixture(autouse=True)
def nothing_is_ever_written(org):
    yield
    assert org.fake.writes == 0
    assert not (org.root / ".offboard").exists()


def expel(cli):
    return cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")


def test_csv_roster_that_is_not_utf8_names_the_line(org, cli):
    (org.root / "roster.csv").write_bytes("id,name,email,personal_email,status\n"
                                          "m042,Bob Example,bob@example.org,,active\n"
                                          "m043,Zoë Other,zoe@example.org,,active\n".encode("latin-1"))
    assert expel(cli) == (1, "", "Error: roster.csv:3: not UTF-8 text (byte 0xeb): save it as UTF-8 (a spreadsheet's "
                                 '"CSV UTF-8") and try again\n')


def test_csv_roster_with_a_byte_order_mark_still_reads(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"\xef\xbb\xbfid,name,email,personal_email,status\nm042,Bob,bob@example.org,,active\n")
    assert load_roster(path).find("m042").name == "Bob"


def test_toml_roster_that_is_not_utf8_names_the_line(org, cli):
    org.write("offboard.toml", CONFIG)
    (org.root / "roster.toml").write_bytes(b"[[members]]\n" + BOB.replace("Bob", "B\xf6b").encode("latin-1"))
    assert expel(cli) == (1, "", "Error: roster.toml:3: not UTF-8 text (byte 0xf6): save it as UTF-8 and try again\n")


def test_toml_members_that_are_not_tables(org, cli):
    org.write("offboard.toml", CONFIG)
    org.write("roster.toml", 'members = ["alice", 42]\n')
    assert expel(cli) == (1, "", 'Error: roster roster.toml: roster.toml member #1 is the string "alice", not a table: write '
                                 "each member as a [[members]] table with id, name, email, personal_email and status; "
                                 "roster.toml member #2 is the number 42, not a table: write each member as a [[members]] "
                                 "table with id, name, email, personal_email and status\n")


def test_toml_identities_that_are_not_a_table(org, cli):
    org.write("offboard.toml", CONFIG)
    org.write("roster.toml", "[[members]]\n" + BOB + 'identities = "U1"\n')
    assert expel(cli) == (1, "", 'Error: roster roster.toml: roster.toml member #1: identities is the string "U1", not a '
                                 'table: write it as identities = { slack = "U024BE7LH" }, one key per system\n')


def test_toml_values_that_are_not_texts(tmp_path):
    path = tmp_path / "roster.toml"
    path.write_text("[[members]]\n" + BOB + "identities = { slack = [\"U1\", \"U2\"] }\n[[members]]\n"
                    + BOB.replace("m042", "m043").replace('name = "Bob Example"', "name = { first = 'Bob' }"))
    with pytest.raises(ConfigurationError) as caught:
        load_roster(path)
    assert str(caught.value) == ("roster roster.toml: roster.toml member #1: identities.slack is an array: give it as a text; "
                                 "roster.toml member #2: name is a table: give it as a text")
