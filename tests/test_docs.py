"""A README that documents every command and connector."""

from __future__ import annotations

from pathlib import Path

from offboard.cli.app import app
from offboard.spi import registry

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_command_is_in_the_readme():
    from typer.main import get_command

    names = sorted(get_command(app).commands)  # type: ignore[attr-defined]
    missing = [name for name in names if f"`offboard {name}" not in README]
    assert names and not missing, f"commands missing from the README: {missing}"


def test_every_builtin_connector_is_in_the_readme():
    missing = [name for name in registry.available() if registry.load(name).needs_config and f"[connectors.{name}]" not in README]
    assert not missing, f"connectors missing from the README: {missing}"
