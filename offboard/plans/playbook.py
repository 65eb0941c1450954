"""Playbooks: which systems to touch, which actions, with which options.

YAML, shipped in the ``playbooks`` package and copied by users beside their config.
Every validation error names the file, the line and the key.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from offboard.config import decode_text, read_bytes
from offboard.errors import ConfigurationError

ON_FAILURE = ("continue", "stop")
STEP_KEYS = {"connector", "system", "title", "actions", "options", "on_failure", "steps", "handled_by_api"}
MANUAL_KEYS = {"id", "title", "instructions", "links", "evidence", "second_confirmer", "reinstate"}
REINSTATE_KEYS = {"title", "instructions", "links", "evidence", "second_confirmer"}  # a manual step's reverse
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
YAML_TAG_PREFIX = "tag:yaml.org,2002:"
#: the tags yaml.safe_load builds (and the merge key '<<' it understands): any other tag is refused, never constructed
SAFE_TAGS = frozenset({*(tag for tag in yaml.SafeLoader.yaml_constructors if tag is not None),
                       "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


@dataclass(frozen=True)
class ChecklistStep:
    id: str
    title: str
    instructions: str = ""
    links: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    second_confirmer: bool = False
    reinstate: Mapping[str, Any] | None = None  # the step that undoes it at reinstatement (REINSTATE_KEYS)

    def to_dict(self) -> dict[str, Any]:
        document = {"id": self.id, "title": self.title, "instructions": self.instructions, "links": list(self.links),
                    "evidence": list(self.evidence), "second_confirmer": self.second_confirmer}
        if self.reinstate is not None:
            document["reinstate"] = dict(self.reinstate)
        return document


@dataclass(frozen=True)
class Step:
    connector: str
    system: str  # the name this step shows under in plans and reports
    title: str = ""
    actions: tuple[str, ...] = ()  # action kinds to keep; empty = all discovered
    options: Mapping[str, Any] = field(default_factory=dict)
    on_failure: str = "continue"
    manual_steps: tuple[ChecklistStep, ...] = ()
    # A checklist's: the playbook's systems that do part of its work through an API (the bank checklist's
    # finance tools); each of its steps then says which of them this plan handles, so nobody does it twice.
    handled_by_api: tuple[str, ...] = ()

    def discover_options(self) -> dict[str, Any]:
        """What the connector's ``discover`` receives."""
        options = dict(self.options)
        if self.manual_steps:
            options["system"] = self.system
            options["title"] = self.title or self.system
            options["steps"] = [s.to_dict() for s in self.manual_steps]
        return options


@dataclass(frozen=True)
class Playbook:
    name: str
    path: Path
    sha256: str
    description: str
    steps: tuple[Step, ...]
    ref: str = ""  # how the config finds it again (``reference``); empty for a file outside the config's folder


def load_playbook(path: Path, installed: Iterable[str]) -> Playbook:
    raw = read_bytes(path, f"playbook {path}")
    text = decode_text(raw, path.name)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow: it gives a position, not a mark
        line = text.count("\n", 0, exc.position) + 1
        raise ConfigurationError(f"{path.name}:{line}: not valid YAML ({exc.reason} #x{exc.character:04x}): remove it") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark else path.name
        raise ConfigurationError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    except RecursionError as exc:
        raise ConfigurationError(f"{path.name}: nested too deeply to read: a playbook needs only a few levels") from exc
    validator = _Validator(path, set(installed))
    validator.plain_yaml(root)
    return validator.playbook(root, hashlib.sha256(raw).hexdigest())


class _Validator:
    """Turns the YAML node tree into a Playbook, collecting every problem with its line."""

    def __init__(self, path: Path, installed: set[str]) -> None:
        self.path = path
        self.installed = installed
        self.problems: list[str] = []

    def fail(self, node: yaml.Node | None, message: str) -> None:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        self.problems.append(f"{self.path.name}{line}: {message}")

    def plain_yaml(self, root: yaml.Node | None) -> None:
        """Refuse what ``yaml.safe_load`` would refuse, before anything is built from the nodes.

        A tag safe_load cannot construct (``!!python/object/apply:...``, ``!custom``) is an error,
        never a constructor to call, and so is a key that is a list or a mapping.
        """
        seen: set[int] = set()

        def visit(node: yaml.Node, is_key: bool = False) -> None:
            if is_key and not isinstance(node, yaml.ScalarNode):
                kind = "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"
                self.fail(node, f"a key is {kind}: keys must be plain texts, like 'connector:'")
            if id(node) in seen:  # an alias of a node already checked
                return
            seen.add(id(node))
            if node.tag not in SAFE_TAGS:
                tag = "!!" + node.tag.removeprefix(YAML_TAG_PREFIX) if node.tag.startswith(YAML_TAG_PREFIX) else node.tag
                self.fail(node, f"the tag {tag} is not allowed: a playbook is plain YAML (texts, numbers, true/false, "
                                "lists and mappings); remove the tag")
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    visit(key, is_key=True)
                    visit(value)
            elif isinstance(node, yaml.SequenceNode):
                for item in node.value:
                    visit(item)

        if root is not None:
            visit(root)
        if self.problems:
            raise ConfigurationError("; ".join(self.problems))

    def mapping(self, node: yaml.Node | None, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping of keys")
            return {}
        return {k.value: v for k, v in node.value}

    def scalar(self, node: yaml.Node | None, key: str, required: bool = False) -> str:
        if node is None:
            return ""
        if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
            self.fail(node, f"'{key}' must be a non-empty text")
            return ""
        return str(node.value).strip()

    def strings(self, node: yaml.Node | None, key: str) -> tuple[str, ...]:
        if node is None:
            return ()
        if not isinstance(node, yaml.SequenceNode) or not all(isinstance(n, yaml.ScalarNode) for n in node.value):
            self.fail(node, f"'{key}' must be a list of texts")
            return ()
        return tuple(str(n.value) for n in node.value)

    def flag(self, node: yaml.Node | None, key: str) -> bool:
        if node is None:
            return False
        value = yaml.safe_load(yaml.serialize(node))
        if not isinstance(value, bool):
            self.fail(node, f"'{key}' must be true or false")
            return False
        return value

    def playbook(self, root: yaml.Node | None, sha256: str) -> Playbook:
        top = self.mapping(root, "the playbook")
        for key, node in top.items():
            if key not in {"name", "description", "steps"}:
                self.fail(node, f"unknown key '{key}' (known: name, description, steps)")
        name = self.scalar(top.get("name"), "name")
        if root is not None and "name" not in top:
            self.fail(root, "missing key 'name'")
        description = self.scalar(top.get("description"), "description")
        steps_node = top.get("steps")
        steps: list[Step] = []
        if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
            self.fail(steps_node or root, "'steps' must be a non-empty list")
        else:
            steps = [s for s in (self.step(n) for n in steps_node.value) if s is not None]
        seen: set[str] = set()
        for node, step in zip(steps_node.value if isinstance(steps_node, yaml.SequenceNode) else [], steps, strict=False):
            if step.system in seen:
                self.fail(node, f"system '{step.system}' appears twice: give one of the steps another 'system' name")
            seen.add(step.system)
        for node, step in zip(steps_node.value if isinstance(steps_node, yaml.SequenceNode) else [], steps, strict=False):
            for other in step.handled_by_api:
                if other not in seen:
                    self.fail(self.mapping(node, "each step").get("handled_by_api"),
                              f"'handled_by_api' names '{other}', which is not a step of this playbook "
                              f"(its steps: {', '.join(s.system for s in steps)})")
        if self.problems:
            raise ConfigurationError("; ".join(self.problems))
        return Playbook(name, self.path, sha256, description, tuple(steps))

    def step(self, node: yaml.Node) -> Step | None:
        keys = self.mapping(node, "each step")
        for key, value in keys.items():
            if key not in STEP_KEYS:
                self.fail(value, f"unknown key '{key}' in step (known: {', '.join(sorted(STEP_KEYS))})")
        connector = self.scalar(keys.get("connector"), "connector")
        if "connector" not in keys:
            self.fail(node, "step is missing key 'connector'")
            return None
        if connector and connector not in self.installed:
            installed = ", ".join(sorted(self.installed))
            self.fail(keys["connector"], f"connector '{connector}' is not installed (installed: {installed})")
        system = self.scalar(keys.get("system"), "system") or connector
        if system and not SLUG.match(system):
            self.fail(keys.get("system"), f"system '{system}' must be lower-case letters, digits, - or _")
        on_failure = self.scalar(keys.get("on_failure"), "on_failure") or "continue"
        if on_failure not in ON_FAILURE:
            self.fail(keys["on_failure"], f"'on_failure' must be one of {', '.join(ON_FAILURE)}")
        actions_node = keys.get("actions")
        actions: tuple[str, ...] = ()
        if isinstance(actions_node, yaml.ScalarNode) and actions_node.value == "all":
            actions = ()
        else:
            actions = self.strings(actions_node, "actions")
        options: dict[str, Any] = {}
        if "options" in keys:
            self.mapping(keys["options"], "'options'")
            options = yaml.safe_load(yaml.serialize(keys["options"])) or {}
        manual = self.manual_steps(keys.get("steps"), connector, system)
        handled = self.strings(keys.get("handled_by_api"), "handled_by_api")
        if handled and not manual:
            self.fail(keys["handled_by_api"], "'handled_by_api' belongs to a checklist step (connector: manual, "
                                              "with steps): move it there")
        return Step(connector, system, self.scalar(keys.get("title"), "title"), actions, options, on_failure, manual,
                    handled)

    def manual_steps(self, node: yaml.Node | None, connector: str, system: str) -> tuple[ChecklistStep, ...]:
        if node is None:
            if connector == "manual":
                self.fail(None, f"manual step '{system}' needs a 'steps' list")
            return ()
        if connector != "manual":
            self.fail(node, f"'steps' is only for connector: manual, not '{connector}'")
            return ()
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.fail(node, "'steps' must be a non-empty list")
            return ()
        result = []
        ids: set[str] = set()
        for item in node.value:
            keys = self.mapping(item, "each manual step")
            for key, value in keys.items():
                if key not in MANUAL_KEYS:
                    self.fail(value, f"unknown key '{key}' in manual step (known: {', '.join(sorted(MANUAL_KEYS))})")
            step_id = self.scalar(keys.get("id"), "id")
            title = self.scalar(keys.get("title"), "title")
            if not step_id or not title:
                self.fail(item, "each manual step needs 'id' and 'title'")
                continue
            if not SLUG.match(step_id):
                self.fail(keys["id"], f"id '{step_id}' must be lower-case letters, digits, - or _")
            if step_id in ids:
                self.fail(keys["id"], f"id '{step_id}' repeats")
            ids.add(step_id)
            result.append(ChecklistStep(
                step_id, title, self.scalar(keys.get("instructions"), "instructions"),
                self.strings(keys.get("links"), "links"), self.strings(keys.get("evidence"), "evidence"),
                self.flag(keys.get("second_confirmer"), "second_confirmer"),
                self.reverse(keys.get("reinstate"), step_id),
            ))
        return tuple(result)

    def reverse(self, node: yaml.Node | None, step_id: str) -> dict[str, Any] | None:
        """A manual step's ``reinstate:`` block: the step that puts back what it ended."""
        if node is None:
            return None
        keys = self.mapping(node, f"'reinstate' of step '{step_id}'")
        for key, value in keys.items():
            if key not in REINSTATE_KEYS:
                self.fail(value, f"unknown key '{key}' in 'reinstate' (known: {', '.join(sorted(REINSTATE_KEYS))})")
        title = self.scalar(keys.get("title"), "title")
        if keys and not title:
            self.fail(node, f"'reinstate' of step '{step_id}' needs a 'title'")
        return {"title": title, "instructions": self.scalar(keys.get("instructions"), "instructions"),
                "links": list(self.strings(keys.get("links"), "links")),
                "evidence": list(self.strings(keys.get("evidence"), "evidence")),
                "second_confirmer": self.flag(keys.get("second_confirmer"), "second_confirmer")}
