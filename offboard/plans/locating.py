"""Where a playbook is found: a path as given, by name beside the config, or shipped; and how a plan names it.

A saved plan names its playbook by a reference that finds the same file on any clone of the config
(its name, or its path relative to the config's folder), never by an absolute path.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from offboard.errors import ConfigurationError


def packaged_playbooks() -> Path:
    return Path(str(resources.files("offboard.playbooks")))


def find_playbook(name_or_path: str, config_dir: Path | None) -> Path:
    """A path as given, else ``<config dir>/playbooks/NAME.yaml``, else the shipped one."""
    given = Path(name_or_path).expanduser()
    if given.suffix in {".yaml", ".yml"} or "/" in name_or_path:
        if not given.is_file():
            raise ConfigurationError(f"playbook file {name_or_path} does not exist")
        return given.resolve()
    candidates = ([config_dir / "playbooks"] if config_dir else []) + [packaged_playbooks()]
    for folder in candidates:
        for suffix in (".yaml", ".yml"):
            path = folder / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    shipped = sorted(p.stem for p in packaged_playbooks().glob("*.yaml"))
    raise ConfigurationError(f"no playbook named '{name_or_path}' (shipped: {', '.join(shipped)}); pass a name or a .yaml path")


def reference(path: Path, config_dir: Path | None) -> str | None:
    """How a config finds this playbook again, on any clone of it: its name, when the name finds this
    very file, else its path relative to the config's folder; None for a file outside that folder."""
    try:
        if find_playbook(path.stem, config_dir).resolve() == path.resolve():
            return path.stem
    except ConfigurationError:
        pass
    if config_dir is not None and path.resolve().is_relative_to(config_dir.resolve()):
        return path.resolve().relative_to(config_dir.resolve()).as_posix()
    return None


def find_by_reference(ref: str, config_dir: Path | None) -> Path:
    """The playbook a plan names: by name, or by its path relative to the config's folder."""
    if ref.endswith((".yaml", ".yml")) and config_dir is not None:
        return find_playbook(str(config_dir / ref), config_dir)
    return find_playbook(ref, config_dir)
