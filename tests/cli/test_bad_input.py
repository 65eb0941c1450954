"""Every bad input: one clear line, exit 1, and nothing touched."""

from __future__ import annotations

import pytest

from offboard.spi import registry
from tests.conftest import CONFIG


def installed() -> str:
    """The connectors installed, as errors list them (others are added as connectors are written)."""
    return ", ".join(sorted(registry.available()))


@pytest.fixture(autouse=True)
def nothing_is_ever_written(org):
    yield
    assert org.fake.writes == 0


def expel(cli, member="m042", *extra):
    return cli("expel", member, "--playbook", "test", "--yes", "--unsigned", *extra)


def test_unknown_member_suggests_close_matches(org, cli):
    assert expel(cli, "bobb") == (1, "", "Error: no member 'bobb' in the roster; did you mean m042 (Bob Example, bob@example.org)?\n")


def test_unknown_member_with_nothing_close(org, cli):
    assert expel(cli, "zzzz") == (1, "", "Error: no member 'zzzz' in the roster; check roster.csv\n")


def test_ambiguous_email_lists_the_members(org, cli):
    assert expel(cli, "shared@home.test") == (
        1, "", "Error: 'shared@home.test' matches several members: m043 (Rob Other), m044 (Robin Other); use the member id\n")


def test_config_problems_are_reported_all_at_once(org, cli):
    org.write("offboard.toml", "[org]\nname = 'E'\n[rooster]\npath='x'\n")
    code, _out, err = expel(cli)
    assert code == 1
    assert err == (f"Error: {org.root}/offboard.toml: unknown table [rooster] (known: approvals, audit, connectors, notice, notify, org, "
                   "roster, signing, state); [org] domain is missing; [roster] path is missing\n")


def test_missing_config_says_where_it_looked(org, cli):
    (org.root / "offboard.toml").unlink()
    assert expel(cli) == (1, "", "Error: no configuration found: pass --config FILE, set OFFBOARD_CONFIG, or create "
                                 "./offboard.toml (`offboard demo --keep DIR` writes a sample to copy)\n")


def test_invalid_toml(org, cli):
    org.write("offboard.toml", "[org\n")
    code, _, err = expel(cli)
    assert code == 1 and err.startswith(f"Error: {org.root}/offboard.toml: not valid TOML (")


def test_bad_connector_config_names_the_key(org, cli):
    org.write("offboard.toml", "[org]\nname='E'\ndomain='example.org'\n[roster]\npath='roster.csv'\n"
              "[connectors.fake]\nstate_fil = 'fake.json'\n")
    assert expel(cli) == (1, "", "Error: offboard.toml: [connectors.fake]: unknown key 'state_fil' (known: state_file, token_env); "
                                 "missing required key 'state_file' (JSON file holding the fake system)\n")


def test_roster_problems_name_the_line(org, cli):
    org.write("roster.csv", "id,name,email,personal_email,status\nm042,Bob,bob@example.org,,gone\nm042,B2,nope,,active\n")
    assert expel(cli) == (1, "", "Error: roster roster.csv: roster.csv:2: status 'gone' is not one of active, suspended, expelled, "
                                 "former; roster.csv:3: email 'nope' is not an email address; roster.csv:3: id 'm042' repeats "
                                 "roster.csv:2\n")


def test_roster_missing_columns(org, cli):
    org.write("roster.csv", "id,name,email\nm042,Bob,bob@example.org\n")
    assert expel(cli) == (1, "", "Error: roster.csv: missing column(s) personal_email, status; the header needs "
                                 "id,name,email,personal_email,status, or name your own columns in the config: [roster] "
                                 'columns = { personal_email = "Your header" }\n')


def test_playbook_errors_name_file_line_and_key(org, cli):
    org.write("playbooks/test.yaml", "name: t\nsteps:\n  - connector: fake\n    option: {}\n  - connector: nosuch\n"
              "  - connector: manual\n    steps:\n      - id: Bad Id\n        title: x\n")
    assert expel(cli) == (1, "", "Error: test.yaml:4: unknown key 'option' in step (known: actions, connector, handled_by_api, on_failure, "
                                 "options, steps, system, title); test.yaml:5: connector 'nosuch' is not installed (installed: "
                                 f"{installed()}); test.yaml:8: id 'Bad Id' must be lower-case letters, digits, - or _\n")


def test_playbook_that_is_not_yaml(org, cli):
    org.write("playbooks/test.yaml", "name: [t\n")
    code, _, err = expel(cli)
    assert code == 1 and err.startswith("Error: test.yaml:2: not valid YAML (")


def test_unknown_playbook_name(org, cli):
    code, _, err = cli("expel", "m042", "--playbook", "nosuch", "--dry-run")
    assert (code, err) == (1, "Error: no playbook named 'nosuch' (shipped: expel, suspend); pass a name or a .yaml path\n")


def test_unknown_option_is_a_usage_error(org, cli):
    code, _, err = cli("expel", "m042", "--dryrun")
    assert (code, err) == (1, "Error: No such option: --dryrun (Possible options: --dry-run). See: offboard expel --help\n")


def test_missing_argument_is_a_usage_error_exit_1(org, cli):
    code, out, err = cli("expel")
    assert (code, out, err) == (1, "", "Error: Missing argument 'MEMBER...'. See: offboard expel --help\n")


def test_debug_shows_the_traceback(org, cli):
    with pytest.raises(Exception, match="no member 'zzzz'"):
        cli("--debug", "expel", "zzzz", "--playbook", "test", "--dry-run")


def test_every_connector_table_is_checked_even_when_the_playbook_does_not_use_it(org, cli):
    org.write("offboard.toml", "[org]\nname='E'\ndomain='example.org'\n[roster]\npath='roster.csv'\n"
              "[connectors.fake]\nstate_file = 'fake.json'\n[connectors.slak]\ntoken_env = 'X'\n"
              "[connectors.slack]\ntoken = 'xoxp-secret'\n")
    code, _, err = expel(cli)
    assert code == 1
    assert err == (f"Error: offboard.toml: [connectors.slak]: no connector named 'slak' is installed (installed: {installed()}); "
                   "[connectors.slack]: unknown key 'token' (known: base_url, insecure_endpoint, scim, scim_base_url, token_env)\n")
    assert "xoxp-secret" not in err


@pytest.mark.parametrize(("setting", "message"), [
    ('admin = "nobody"', "'admin' must be an email address, not 'nobody'"),
    ('admin = "admin@example.org"\norg_unit = "Suspended"', "'org_unit' must be a path starting with '/', not 'Suspended'"),
    ('admin = "admin@example.org"\nlicense_product = "Google-Apps"',
     "'license_product' and 'license_sku' go together: set both or neither"),
])
def test_a_value_the_connector_refuses_is_one_error_line_and_nothing_is_written(org, cli, setting, message):
    org.write("offboard.toml", CONFIG + f'\n[connectors.google]\nservice_account_file = "sa.json"\n{setting}\n')
    code, out, err = cli("expel", "m042", "--dry-run")
    assert (code, out, err) == (1, "", f"Error: offboard.toml: [connectors.google]: {message}\n")
    assert not (org.root / ".offboard").exists()
