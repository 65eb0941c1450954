"""Member ids name files (locks, reports) and run ids: an id that could leave its folder is refused when read."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard.errors import ConfigurationError
from offboard.members.roster import load_roster

HEADER = "id,name,email,personal_email,status\n"
USE = "use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"


def roster_with(path: Path, *ids: str) -> Path:
    path.write_text(HEADER + "".join(f"{i},Person {n},p{n}@example.org,,active\n" for n, i in enumerate(ids)))
    return path


def test_a_member_id_with_a_path_is_refused_in_one_line_and_nothing_is_written(org, cli) -> None:
    org.write("roster.csv", HEADER + "m042,Bob Example,bob@example.org,,active\nm9/../../x,Mallory,mal@example.org,,active\n")
    assert cli("expel", "m9/../../x", "--playbook", "test", "--yes", "--unsigned") == (
        1, "", f"Error: roster roster.csv: roster.csv:3: member id 'm9/../../x' cannot name the member's files: {USE}\n")
    assert org.fake.writes == 0
    assert sorted(p.name for p in org.root.iterdir()) == ["fake.json", "fake.lock", "offboard.toml", "playbooks", "roster.csv"]
    assert not (org.root.parent / "x.lock").exists()


def test_every_bad_id_is_named_at_once(tmp_path: Path) -> None:
    path = roster_with(tmp_path / "roster.csv", "..", ".hidden", "a/b", "with space", "x" * 65, "é")
    with pytest.raises(ConfigurationError) as caught:
        load_roster(path)
    assert str(caught.value) == "roster roster.csv: " + "; ".join(
        f"roster.csv:{line}: member id {bad!r} cannot name the member's files: {USE}"
        for line, bad in enumerate(["..", ".hidden", "a/b", "with space", "x" * 65, "é"], 2))


def test_a_toml_roster_is_checked_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "roster.toml"
    path.write_text('[[members]]\nid = "../m1"\nname = "A"\nemail = "a@example.org"\npersonal_email = ""\nstatus = "active"\n')
    with pytest.raises(ConfigurationError) as caught:
        load_roster(path)
    assert str(caught.value) == f"roster roster.toml: roster.toml member #1: member id '../m1' cannot name the member's files: {USE}"


def test_ids_of_letters_digits_dots_dashes_and_underscores_are_accepted(tmp_path: Path) -> None:
    ids = ["m042", "M-042", "m.42", "a_b", "42", "x" * 64, "a..b"]
    assert [m.id for m in load_roster(roster_with(tmp_path / "roster.csv", *ids))] == ids
