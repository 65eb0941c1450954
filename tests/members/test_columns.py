"""The headers people actually have: ``Member ID``, ``E-mail``, and the config's ``[roster] columns``."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard.config import parse_config
from offboard.errors import ConfigurationError
from offboard.members.roster import load_roster

SPREADSHEET = ("Member ID, Name ,E-mail,Personal E-Mail,STATUS,Slack user\n"
               "m042,Bob Example,bob@example.org,bob@mail.test,Active,U042\n")


def test_common_spellings_are_read_and_reported(tmp_path: Path):
    path = tmp_path / "members.csv"
    path.write_text(SPREADSHEET)
    roster = load_roster(path)
    bob = roster.find("m042")
    assert (bob.name, bob.email, bob.personal_email, bob.status) == ("Bob Example", "bob@example.org", "bob@mail.test",
                                                                      "active")
    assert roster.columns.renamed == [("Member ID", "id"), (" Name ", "name"), ("E-mail", "email"),
                                      ("Personal E-Mail", "personal_email"), ("STATUS", "status"),
                                      ("Slack user", "slack_user")]


def test_the_config_names_the_other_columns(tmp_path: Path):
    path = tmp_path / "members.csv"
    path.write_text(SPREADSHEET.replace("Member ID", "Membership card"))
    roster = load_roster(path, {"id": "Membership card", "slack": "slack USER"})
    bob = roster.find("m042")
    assert bob.identity_for("slack") == "U042"
    assert ("Slack user", "slack") in roster.columns.renamed


def test_a_configured_column_that_is_not_there_names_the_columns_that_are(tmp_path: Path):
    path = tmp_path / "members.csv"
    path.write_text(SPREADSHEET)
    with pytest.raises(ConfigurationError) as caught:
        load_roster(path, {"id": "Card number"})
    assert str(caught.value) == ("[roster] columns says id is the column 'Card number', but members.csv has no such "
                                 "column (its columns: Member ID,  Name , E-mail, Personal E-Mail, STATUS, Slack user)")


def test_two_headers_for_one_field_are_refused(tmp_path: Path):
    path = tmp_path / "members.csv"
    path.write_text("id,Member ID,name,email,personal_email,status\nm1,m1,A,a@x.org,,active\n")
    with pytest.raises(ConfigurationError, match="columns 'id' and 'Member ID' both read as id: rename one"):
        load_roster(path)


def test_a_missing_column_says_how_to_name_it(tmp_path: Path):
    path = tmp_path / "members.csv"
    path.write_text("Card,name,email,personal_email,status\nm1,A,a@x.org,,active\n")
    with pytest.raises(ConfigurationError) as caught:
        load_roster(path)
    assert str(caught.value) == ('members.csv: missing column(s) id; the header needs id,name,email,personal_email,'
                                 'status, or name your own columns in the config: [roster] columns = { id = "Your header" }')


def test_the_config_checks_the_columns_table(tmp_path: Path):
    base = {"org": {"name": "X", "domain": "x.org"}, "state": {"dir": str(tmp_path)}}
    config = parse_config({**base, "roster": {"path": "r.csv", "columns": {"id": "Member ID"}}}, tmp_path / "o.toml")
    assert config.roster_columns == {"id": "Member ID"}
    with pytest.raises(ConfigurationError, match=r"\[roster\] columns: id must name a column header as text"):
        parse_config({**base, "roster": {"path": "r.csv", "columns": {"id": 3}}}, tmp_path / "o.toml")
    with pytest.raises(ConfigurationError, match=r"\[roster\]: unknown key 'colums' \(known: path, columns\)"):
        parse_config({**base, "roster": {"path": "r.csv", "colums": {}}}, tmp_path / "o.toml")


def test_doctor_says_how_each_header_was_read(org, cli):
    org.write("roster.csv", "Member ID,Name,E-mail,Personal email,Status\nm042,Bob,bob@example.org,,active\n")
    _, out, _ = cli("doctor")
    assert "         columns read as: 'Member ID' as id, 'Name' as name, 'E-mail' as email, 'Personal email' as " \
           "personal_email, 'Status' as status\n" in out
