"""Playbooks and saved plans that cannot be used: one line naming the file (and line), exit 1, nothing written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from offboard.errors import OffboardError
from offboard.plans.plan import Plan


def expel(cli):
    return cli("expel", "m042", "--playbook", "test", "--yes", "--unsigned")


def assert_nothing_written(org):
    assert org.fake.writes == 0
    assert not (org.root / ".offboard").exists()


# -- playbooks


def test_playbook_that_is_not_utf8_names_the_line(org, cli):
    (org.root / "playbooks/test.yaml").write_bytes(b"name: test\ndescription: caf\xe9\nsteps:\n  - connector: fake\n")
    assert expel(cli) == (1, "", "Error: test.yaml:2: not UTF-8 text (byte 0xe9): save it as UTF-8 and try again\n")
    assert_nothing_written(org)


def test_python_tags_are_refused_never_run(org, cli):
    org.write("playbooks/test.yaml", "name: test\nsteps:\n  - connector: fake\n    options:\n"
              "      hook: !!python/object/apply:os.system ['touch pwned']\n"
              "    title: !!python/name:os.system\n")
    assert expel(cli) == (1, "", "Error: test.yaml:5: the tag !!python/object/apply:os.system is not allowed: a playbook is "
                                 "plain YAML (texts, numbers, true/false, lists and mappings); remove the tag; test.yaml:6: "
                                 "the tag !!python/name:os.system is not allowed: a playbook is plain YAML (texts, numbers, "
                                 "true/false, lists and mappings); remove the tag\n")
    assert not (org.root / "pwned").exists()
    assert_nothing_written(org)


def test_local_tags_are_refused_like_safe_load_does(org, cli):
    org.write("playbooks/test.yaml", "name: !env PLAYBOOK_NAME\nsteps:\n  - connector: fake\n")
    assert expel(cli) == (1, "", "Error: test.yaml:1: the tag !env is not allowed: a playbook is plain YAML (texts, numbers, "
                                 "true/false, lists and mappings); remove the tag\n")
    assert_nothing_written(org)


def test_plain_tags_and_merge_keys_still_load(org, cli):
    org.write("playbooks/test.yaml", "name: !!str test\ndefaults: &d {on_failure: stop}\nsteps:\n  - connector: fake\n"
              "    options: {<<: {limit: !!int '3'}}\n")
    code, _, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert (code, err) == (1, "Error: test.yaml:2: unknown key 'defaults' (known: name, description, steps)\n")
    org.write("playbooks/test.yaml", "name: !!str test\nsteps:\n  - connector: fake\n    title: !!str Fake\n")
    code, _, err = cli("expel", "m042", "--playbook", "test", "--dry-run")
    assert (code, err) == (0, "")
    assert org.fake.writes == 0


def test_a_list_as_a_mapping_key(org, cli):
    org.write("playbooks/test.yaml", "name: test\nsteps:\n  - connector: fake\n    ? [options, title]\n    : x\n")
    assert expel(cli) == (1, "", "Error: test.yaml:4: a key is a list: keys must be plain texts, like 'connector:'\n")
    assert_nothing_written(org)


def test_a_mapping_as_a_key_inside_options(org, cli):
    org.write("playbooks/test.yaml", "name: test\nsteps:\n  - connector: fake\n    options: {{a: 1}: 2}\n")
    assert expel(cli) == (1, "", "Error: test.yaml:4: a key is a mapping: keys must be plain texts, like 'connector:'\n")
    assert_nothing_written(org)


def test_a_character_yaml_does_not_allow_names_the_line(org, cli):
    org.write("playbooks/test.yaml", "name: test\nsteps:\n  - connector: fake\x01\n")
    assert expel(cli) == (1, "", "Error: test.yaml:3: not valid YAML (special characters are not allowed #x0001): remove it\n")
    assert_nothing_written(org)


# -- saved plans, as `offboard apply` reads them


@pytest.mark.parametrize(("content", "holds"), [("[]", "it holds an array, not an object"),
                                                 ('"x"', "it holds a string, not an object"),
                                                 ("{}", 'its format is null, not "offboard-plan/1"'),
                                                 ('{"format": "other/2"}', 'its format is "other/2", not "offboard-plan/1"')])
def test_a_plan_file_that_is_not_a_plan(org, cli, content, holds):
    org.write("plan.json", content + "\n")
    assert cli("apply", "plan.json", "--yes", "--unsigned") == (
        1, "", f"Error: plan file plan.json is not an offboard plan ({holds}): pass a plan saved with `offboard expel MEMBER "
               "--save-plan FILE`\n")
    assert_nothing_written(org)


def test_a_plan_file_that_is_a_folder(org, cli):
    (org.root / "plans").mkdir()
    assert cli("apply", "plans", "--yes", "--unsigned") == (
        1, "", "Error: plan file plans is a folder: give the plan file saved with --save-plan\n")
    assert_nothing_written(org)


def test_a_plan_with_damaged_parts(org, cli):
    org.write("plan.json", json.dumps({"format": "offboard-plan/1", "kind": "expel", "created": "now", "org": {},
                                       "member": {"id": "m042"}, "playbook": {}, "systems": ["fake"]}))
    code, out, err = cli("apply", "plan.json", "--yes", "--unsigned")
    assert (code, out) == (1, "")
    assert err.startswith("Error: plan file plan.json is damaged (") and err.endswith("): save it again with --save-plan\n")
    assert_nothing_written(org)


# -- saving a plan (library level: the CLI checks the path before it does anything)


def a_plan() -> Plan:
    return Plan("expel", "2024-01-01T00:00:00.000000Z", {"name": "Example Org", "domain": "example.org"},
                {"id": "m042", "name": "Bob Example", "email": "bob@example.org"},
                {"name": "test", "path": "test.yaml", "sha256": "0" * 64}, [])


def test_saving_into_a_missing_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OffboardError) as caught:
        a_plan().save(Path("out/plan.json"))
    assert str(caught.value) == ("cannot save the plan to out/plan.json: the folder out does not exist; create it "
                                 "(mkdir -p out) or give another path")
    assert list(tmp_path.iterdir()) == []


def test_saving_onto_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plans").mkdir()
    with pytest.raises(OffboardError) as caught:
        a_plan().save(Path("plans"))
    assert str(caught.value) == "cannot save the plan to plans: it is a folder; give a file name, like plans/plan.json"
    assert list((tmp_path / "plans").iterdir()) == []


def test_saving_under_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(OffboardError) as caught:
        Plan.check_save_path(Path("notes.txt/plan.json"))
    assert str(caught.value) == "cannot save the plan to notes.txt/plan.json: notes.txt is a file, not a folder; give another path"


def test_a_saved_plan_is_private_complete_and_loads_back(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("an older plan, readable by all\n")
    path.chmod(0o644)
    a_plan().save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Plan.load(path) == a_plan()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary file left behind


def test_a_failed_save_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "plan.json"
    path.write_text("the old plan\n")

    def refuse(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OffboardError) as caught:
        a_plan().save(path)
    assert str(caught.value) == f"cannot save the plan to {path} (No space left on device): give another path"
    assert path.read_text() == "the old plan\n"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_reinstate_block_with_an_unknown_key_or_no_title(org, cli):
    org.write("playbooks/test.yaml", """\
        name: test
        steps:
          - connector: manual
            system: bank
            steps:
              - id: signer
                title: Remove the signer
                reinstate:
                  titel: Re-add the signer
        """)
    assert expel(cli) == (1, "", "Error: test.yaml:9: unknown key 'titel' in 'reinstate' (known: evidence, instructions, "
                                 "links, second_confirmer, title); test.yaml:9: 'reinstate' of step 'signer' needs a "
                                 "'title'\n")
    assert_nothing_written(org)
