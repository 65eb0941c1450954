"""connectors and doctor: what is installed, and whether it can reach its system."""

from __future__ import annotations

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, print_json, say
from offboard.errors import ExitCode


@app.command("connectors")
def list_connectors(as_json: bool = JsonOption) -> int:
    """List installed connectors with version and capabilities.

    Example: offboard connectors --json
    """
    rows = operations.installed_connectors()
    code = ExitCode.ERROR if any(r.error for r in rows) else ExitCode.OK
    if as_json:
        print_json("connectors", code, documents.connectors_fields(rows))
        return code
    for row in rows:
        if row.error:
            say(f"{row.name:<10} BROKEN: {row.error}")
        else:
            say(f"{row.name:<10} {row.version:<8} {row.title:<22} {', '.join(c.value for c in row.capabilities)}")
    return code


@app.command()
def doctor(config: str | None = ConfigOption, as_json: bool = JsonOption) -> int:
    """Check the config, the roster, and each configured connector's credentials and permissions.

    Example: offboard doctor --config ~/cc/offboard.toml
    """
    with operations.Session.open(config) as session:
        checkup = operations.doctor(session)
    if as_json:
        print_json("doctor", checkup.exit_code, documents.doctor_fields(checkup))
        return checkup.exit_code
    settings = checkup.config
    say(f"Config:  {settings.path}")
    say(f"Roster:  {settings.roster_path} ({checkup.members} members)")
    if checkup.roster_columns:  # headers read as another field: shown, so a wrong guess is seen before a run
        say("         columns read as: " + ", ".join(f"'{header}' as {name}" for header, name in checkup.roster_columns))
    say(f"State:   {settings.state_dir}")
    for problem in checkup.state_problems:
        say(f"  - {problem}")
    say(f"Signing: {'configured' if settings.signing.get('key') else 'not configured (run offboard keygen)'}")
    for name, found in checkup.problems.items():
        say(f"{name:<10} {'ok' if not found else 'PROBLEMS'}")
        for endpoint in checkup.endpoints.get(name, []):
            say(f"  endpoint: {endpoint.name} = {endpoint.url}" + (f" ({endpoint.note})" if endpoint.note else ""))
        for problem in found:
            say(f"  - {problem}")
    return checkup.exit_code
