"""``offboard init``: a new org's folder from flags or answers, never over an existing file."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from offboard.config import load_config
from offboard.members.roster import load_roster

FLAGS = ("--org-name", "Example Volunteers", "--domain", "example.org")


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_flags_only_writes_the_files_and_the_next_commands(cli, tmp_path):
    folder = tmp_path / "org"
    code, out, err = cli("init", str(folder), *FLAGS, "--systems", "manual")
    assert (code, err) == (0, "")
    assert files_in(folder) == [".gitignore", "keys/allowed_signers", "keys/offboard_ed25519",
                                "keys/offboard_ed25519.pub", "offboard.toml", "roster.csv"]
    assert f"Wrote in {folder}:" in out
    assert "offboard doctor --config " in out and "offboard expel SOMEONE --dry-run --config " in out  # DIR: not the cwd
    assert 'the nightly audit: README, section "Audits"' in out
    assert "Replace CHANGE-ME" not in out  # manual needs no table, so there is nothing to fill


def test_the_config_written_loads(cli, tmp_path):
    cli("init", str(tmp_path), *FLAGS, "--systems", "manual")
    config = load_config(str(tmp_path / "offboard.toml"))
    assert (config.org_name, config.org_domain) == ("Example Volunteers", "example.org")
    assert config.roster_path == tmp_path / "roster.csv" and config.state_dir == tmp_path / ".offboard"
    assert dict(config.connectors) == {} and dict(config.signing) == {
        "key": "keys/offboard_ed25519", "signer": "cc@example.org", "allowed_signers": "keys/allowed_signers"}
    assert (tmp_path / "roster.csv").read_text() == "id,name,email,personal_email,status\n"
    assert list(load_roster(config.roster_path)) == []


def test_the_key_is_made_as_keygen_makes_it(cli, tmp_path):
    code, out, _ = cli("init", str(tmp_path), *FLAGS, "--systems", "manual")
    assert code == 0
    public = (tmp_path / "keys" / "offboard_ed25519.pub").read_text().split()
    line = (tmp_path / "keys" / "allowed_signers").read_text()
    assert line == f'cc@example.org namespaces="offboard-report@example.org" {public[0]} {public[1]}\n'
    assert line.strip() in out and re.search(r"\(SHA256:[A-Za-z0-9+/]{43}\)", out)
    assert (tmp_path / "keys" / "offboard_ed25519").stat().st_mode & 0o077 == 0


def test_the_gitignore_keeps_the_state_and_the_private_key_out(cli, tmp_path):
    cli("init", str(tmp_path), *FLAGS, "--systems", "manual")
    lines = (tmp_path / ".gitignore").read_text().splitlines()
    assert lines[1:] == [".offboard/", "keys/offboard_ed25519", "secrets/", "sandbox.env"] and lines[0].startswith("#")


def test_one_table_per_system_with_placeholders_the_connectors_name(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("SLACK_ADMIN_TOKEN", raising=False)
    code, out, _ = cli("init", str(tmp_path), *FLAGS, "--systems", "google,slack,notice")
    assert code == 0
    text = (tmp_path / "offboard.toml").read_text()
    data = tomllib.loads(text)
    assert data["connectors"] == {
        "google": {"service_account_file": "CHANGE-ME", "admin": "CHANGE-ME@example.org"},
        "slack": {"token_env": "SLACK_ADMIN_TOKEN"},  # where the secret is, never the secret
    }
    assert data["notice"] == {"from": "CHANGE-ME@example.org"}
    assert '# api_endpoint = ""' in text and "# scim = false" in text and '# via = "gmail"' in text
    assert ("Replace CHANGE-ME in offboard.toml: [connectors.google] service_account_file; "
            "[connectors.google] admin; [notice] from.") in out
    load_config(str(tmp_path / "offboard.toml"))  # not a parse error: only the credentials are missing

    code, out, err = cli("doctor", "--config", str(tmp_path / "offboard.toml"))
    assert code == 1 and not err.startswith("Error:")
    assert f"service account key file {tmp_path / 'CHANGE-ME'} does not exist" in out
    assert "environment variable SLACK_ADMIN_TOKEN is not set" in out


def test_an_existing_roster_is_used_not_written(cli, tmp_path):
    roster = tmp_path / "members.csv"
    roster.write_text("id,name,email,personal_email,status\nm1,Ann,ann@example.org,ann@mail.test,active\n")
    code, _, err = cli("init", str(tmp_path / "org"), *FLAGS, "--systems", "", "--roster", str(roster))
    assert (code, err) == (0, "")
    assert "roster.csv" not in files_in(tmp_path / "org")
    assert load_config(str(tmp_path / "org" / "offboard.toml")).roster_path == roster.resolve()


def test_it_never_overwrites_and_writes_nothing_then(cli, tmp_path):
    (tmp_path / ".gitignore").write_text("mine\n")
    code, out, err = cli("init", str(tmp_path), *FLAGS, "--systems", "manual")
    assert (code, out) == (1, "")
    assert err == (f"Error: {tmp_path / '.gitignore'} already exists: init never overwrites a file, so nothing was "
                   "written; move it away or choose another folder\n")
    assert files_in(tmp_path) == [".gitignore"] and (tmp_path / ".gitignore").read_text() == "mine\n"


def test_a_second_init_is_refused_naming_the_config(cli, tmp_path):
    cli("init", str(tmp_path), *FLAGS, "--systems", "manual")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = cli("init", str(tmp_path), *FLAGS, "--systems", "manual")
    assert code == 1 and err.startswith(f"Error: {tmp_path / 'offboard.toml'} already exists")
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_missing_flags_without_a_terminal(cli, tmp_path):
    code, out, err = cli("init", str(tmp_path / "org"), "--domain", "example.org")
    assert (code, out) == (1, "")
    assert err == ("Error: missing --org-name TEXT, --systems NAME,... (there is no terminal to ask at): pass them, "
                   "e.g. offboard init DIR --org-name 'Example Volunteers' --domain example.org --systems google,slack\n")
    assert not (tmp_path / "org").exists()


def test_a_bad_domain(cli, tmp_path):
    code, out, err = cli("init", str(tmp_path / "org"), "--org-name", "X", "--domain", "bob@example.org",
                         "--systems", "manual")
    assert (code, out) == (1, "")
    assert err == "Error: domain 'bob@example.org' is not a domain name like example.org: pass --domain example.org\n"
    assert not (tmp_path / "org").exists()


def test_an_unknown_system(cli, tmp_path):
    code, _, err = cli("init", str(tmp_path / "org"), *FLAGS, "--systems", "google,jira")
    assert code == 1 and err.startswith("Error: no system named 'jira' is installed (installed: ")
    assert not (tmp_path / "org").exists()


def test_at_a_terminal_it_asks_what_no_flag_gave(cli, tmp_path, typed):
    asked = typed("Example Volunteers", "Example.org", "slack, notice", "", "y")
    code, out, err = cli("init", str(tmp_path / "org"))
    assert code == 0 and "Wrote in" in out
    assert asked == ["Organization name", "Domain (e.g. example.org)",
                     "Which does Example Volunteers use? (names, comma-separated; Enter: none)",
                     "Roster (an existing CSV; Enter: write roster.csv with the header)", "Write them? [Y/n]"]
    assert "google" in err and "Google Workspace" in err and "written notice" in err  # the systems, with titles
    config = load_config(str(tmp_path / "org" / "offboard.toml"))
    assert config.org_domain == "example.org" and set(config.connectors) == {"slack"} and config.notice


def test_at_a_terminal_saying_no_writes_nothing(cli, tmp_path, typed):
    asked = typed("", "n")  # Enter for the roster template, then no
    code, _, err = cli("init", str(tmp_path / "org"), *FLAGS, "--systems", "manual")
    assert asked[-1] == "Write them? [Y/n]"
    assert code == 1 and "Aborted" in err
    assert not (tmp_path / "org").exists()
