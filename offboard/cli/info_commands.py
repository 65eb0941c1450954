"""connectors and doctor: what is installed, and whether it can reach its system."""

from __future__ import annotations

import typer

from offboard.cli.app import ConfigOption, app, console, print_json
from offboard.errors import ConfigurationError
from offboard.operations.session import Workspace
from offboard.spi import Connector, registry


@app.command("connectors")
def list_connectors(as_json: bool = typer.Option(False, "--json", help="Print one JSON document for scripts.")) -> int:
    """List installed connectors with version and capabilities."""
    rows = []
    for name in sorted(registry.available()):
        try:
            cls: type[Connector] = registry.load(name)
        except ConfigurationError as exc:
            rows.append({"name": name, "error": str(exc)})
            continue
        rows.append({"name": name, "title": cls.title, "version": cls.version,
                     "capabilities": sorted(c.value for c in cls.capabilities),
                     "distribution": registry.available()[name].distribution})
    if as_json:
        print_json(rows)
        return 0
    for row in rows:
        if "error" in row:
            console.print(f"{row['name']:<10} BROKEN: {row['error']}", markup=False)
        else:
            console.print(f"{row['name']:<10} {row['version']:<8} {row['title']:<22} {', '.join(row['capabilities'])}",
                          markup=False)
    return 1 if any("error" in r for r in rows) else 0


@app.command()
def doctor(config: str | None = ConfigOption) -> int:
    """Check the config, the roster, and each configured connector's credentials and permissions."""
    ws = Workspace.open(config)
    console.print(f"Config:  {ws.config.path}")
    console.print(f"Roster:  {ws.config.roster_path} ({len(ws.roster.members)} members)")
    console.print(f"State:   {ws.config.state_dir}")
    console.print(f"Signing: {'configured' if ws.config.signing.get('key') else 'not configured (run offboard keygen)'}")
    problems = 0
    for name in sorted(ws.config.connectors):
        cls = registry.load(name)
        try:
            found = cls(ws.config.connectors[name], ws.context(cls)).test_connection()
        except Exception as exc:  # doctor reports, it does not crash
            found = [f"{type(exc).__name__}: {exc}"]
        problems += len(found)
        console.print(f"{name:<10} {'ok' if not found else 'PROBLEMS'}", markup=False)
        for problem in found:
            console.print(f"  - {problem}", markup=False)
    return 1 if problems else 0
