"""``offboard keygen`` and ``offboard verify``: make the report key, and check the ledger."""

from __future__ import annotations

from pathlib import Path

import typer

from offboard import operations
from offboard.cli.app import ConfigOption, app, say
from offboard.errors import ExitCode


@app.command()
def keygen(
    out: Path | None = typer.Option(None, "--out", help="Where to write the private key (default: [signing] key)."),
    signer: str | None = typer.Option(None, "--signer", help="The identity in allowed_signers, e.g. cc@example.org."),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", help="Protect the key with the passphrase held in this environment variable."
    ),
    config_path: str | None = ConfigOption,
) -> None:
    """Create the Ed25519 key that signs reports, and print what to publish."""
    key = operations.keygen(operations.KeygenRequest(out, signer, passphrase_env, config_path))
    show_new_key(key)


def _shown(path: Path, base: Path) -> str:
    """A path as the user should type it: relative to ``base`` when it lies inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())


def show_new_key(key: operations.NewKey) -> None:
    say(f"Created signing key {_shown(key.private_path, key.base)} and {_shown(key.public_path, key.base)}.")
    say(f"Fingerprint: {key.fingerprint}")
    say(f"allowed_signers line (added to {_shown(key.allowed_signers_path, key.base)}; publish it, e.g. in the minutes):")
    say(key.allowed_signers_line)
    say(f"Put this in {key.config_name}:")
    snippet = [
        "[signing]",
        f'key = "{_shown(key.private_path, key.base)}"',
        f'signer = "{key.identity}"',
        f'allowed_signers = "{_shown(key.allowed_signers_path, key.base)}"',
    ]
    snippet += [f'passphrase_env = "{key.passphrase_env}"'] if key.passphrase_env else []
    say("\n".join(snippet))
    if key.namespace:
        say("Anyone can check a report without offboard:")
        say(f"ssh-keygen -Y verify -f allowed_signers -I {key.identity} -n {key.namespace} -s REPORT.json.sig < REPORT.json")


@app.command()
def verify(
    target: Path | None = typer.Argument(
        None, metavar="[REPORT|DIR]", help="A report (.json) or a reports directory (default: the ledger)."
    ),
    allowed_signers: Path | None = typer.Option(None, "--allowed-signers", help="Who may sign (ssh-keygen format)."),
    allow_unsigned: bool = typer.Option(False, "--allow-unsigned", help="Accept reports written with --unsigned."),
    config_path: str | None = ConfigOption,
) -> int:
    """Check every report's signature and the chain that links them; exit 1 on any problem."""
    result = operations.verify(operations.VerifyRequest(target, allowed_signers, allow_unsigned, config_path))
    for problem in result.problems:
        say(str(problem))
    count = f"{result.reports} report{'s' if result.reports != 1 else ''}"
    if result.problems:
        many = len(result.problems) != 1
        say(f"{len(result.problems)} problem{'s' if many else ''} in {count}: "
            "do not rely on this ledger until they are explained.")
        return ExitCode.ERROR
    if result.signers:
        say(f"Signed by: {', '.join(sorted(result.signers))}")
    if result.latest:
        say(f"Latest: {result.latest[0]} sha256 {result.latest[1]} (compare it with the one in your minutes)")
    unsigned = f" ({result.unsigned} unsigned, accepted with --allow-unsigned)" if result.unsigned else ""
    say(f"{count} verified: signatures good, chain intact{unsigned}.")
    return ExitCode.OK
