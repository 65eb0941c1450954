"""Run ids are matched literally: a whole id, or the start of one, never an SQL LIKE pattern."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard.apply.journal import Journal

IDS = ["20240101-090000-m042-ab12", "20240101-100000-m043-cd34", "20240102-090000-m0_2-ef56", "20240103-090000-a\\b-0000"]


@pytest.fixture
def journal(tmp_path: Path):
    opened = Journal(tmp_path / "journal.sqlite3")
    for run_id in IDS:
        opened.create_run(run_id, "expel", run_id.split("-")[2], "Someone", "carol", {}, [])
    yield opened
    opened.close()


def found(journal: Journal, prefix: str) -> list[str]:
    return sorted(r.id for r in journal.find_run(prefix))


def test_a_whole_id_and_a_prefix_still_match(journal):
    assert found(journal, IDS[0]) == [IDS[0]]
    assert found(journal, "20240101-09") == [IDS[0]]
    assert found(journal, "20240101") == IDS[:2]


@pytest.mark.parametrize("pattern", ["%", "%-m042-%", "_", "2024010_-090000", "20240101-%-m043", "%ab12"])
def test_like_wildcards_match_only_themselves(journal, pattern):
    assert found(journal, pattern) == []


def test_an_underscore_or_backslash_in_an_id_matches_literally(journal):
    assert found(journal, "20240102-090000-m0_") == [IDS[2]]
    assert found(journal, "20240103-090000-a\\") == [IDS[3]]
    assert found(journal, "20240103-090000-a\\b-0000") == [IDS[3]]


def test_prefixes_are_case_sensitive_like_the_ids(journal):
    assert found(journal, "20240101-090000-M042") == []


def test_status_with_a_pattern_names_no_run(org, cli):
    code, _, _ = cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")
    assert code == 3  # applied; the manual bank step waits on a person
    assert cli("status", "%-m042-%") == (1, "", "Error: no run and no member '%-m042-%': list runs with `offboard status`\n")
    assert cli("status", "%") == (1, "", "Error: no run and no member '%': list runs with `offboard status`\n")
    code, out, err = cli("status", "2")
    assert (code, err) == (3, "") and "m042 Bob Example" in out
