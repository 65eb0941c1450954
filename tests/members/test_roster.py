"""The roster in TOML, with identity overrides per system."""

from __future__ import annotations

from pathlib import Path

import pytest

from offboard.errors import ConfigurationError
from offboard.members.roster import load_roster


def test_toml_roster_with_identities(tmp_path: Path):
    path = tmp_path / "roster.toml"
    path.write_text('[[members]]\nid = "m042"\nname = "Bob"\nemail = "bob@example.org"\npersonal_email = ""\n'
                    'status = "expelled"\nidentities = { slack = "U042" }\n')
    bob = load_roster(path).find("m042")
    assert (bob.status, bob.identity_for("slack"), bob.identity_for("google")) == ("expelled", "U042", "bob@example.org")


def test_roster_of_another_format_is_refused(tmp_path: Path):
    path = tmp_path / "roster.xlsx"
    path.write_text("x")
    with pytest.raises(ConfigurationError, match=r"roster .*roster.xlsx: use a \.csv or \.toml file"):
        load_roster(path)
