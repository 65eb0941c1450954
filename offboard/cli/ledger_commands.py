"""``offboard keygen`` and ``offboard verify``: make the report key, and check the ledger."""

from __future__ import annotations

from pathlib import Path

import typer

from offboard import operations
from offboard.cli import documents
from offboard.cli.app import ConfigOption, JsonOption, app, print_json, say
from offboard.errors import ExitCode


@app.command()
def keygen(
    out: Path | None = typer.Option(None, "--out", metavar="FILE",
                                    help="Where to write the private key (default: [signing] key)."),
    signer: str | None = typer.Option(None, "--signer", metavar="PRINCIPAL",
                                      help="The identity in allowed_signers, e.g. cc@example.org."),
    passphrase_env: str | None = typer.Option(
        None, "--passphrase-env", metavar="VAR",
        help="Protect the key with the passphrase held in this environment variable."
    ),
    config_path: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Create the Ed25519 key that signs reports, and print what to publish.

    Example: offboard keygen --signer cc@example.org
    """
    key = operations.keygen(operations.KeygenRequest(out, signer, passphrase_env, config_path))
    if as_json:
        print_json("keygen", ExitCode.OK, documents.keygen_fields(key))
    else:
        show_new_key(key)
    return ExitCode.OK


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
    for line in snippet:
        say(line)
    if key.namespace:
        say("Anyone can check a report without offboard:")
        say(f"ssh-keygen -Y verify -f allowed_signers -I {key.identity} -n {key.namespace} -s REPORT.json.sig < REPORT.json")


@app.command()
def verify(
    target: Path | None = typer.Argument(
        None, metavar="REPORT|DIR", help="A report (.json) or a reports directory (default: the ledger)."
    ),
    allowed_signers: Path | None = typer.Option(None, "--allowed-signers", metavar="FILE",
                                                help="Who may sign (ssh-keygen format)."),
    allow_unsigned: bool = typer.Option(False, "--allow-unsigned", help="Accept reports written with --unsigned."),
    signer: list[str] = typer.Option(
        [], "--signer", metavar="PRINCIPAL",
        help="The principal that must have signed (default: [signing] signer). Repeatable."
    ),
    namespace: str | None = typer.Option(
        None, "--namespace", metavar="NAMESPACE",
        help="The namespace signatures must be made for (default: offboard-report@<[org] domain>)."
    ),
    fix_markdown: bool = typer.Option(
        False, "--fix-markdown", help="Write each .md that does not match its report again, from the verified report."
    ),
    config_path: str | None = ConfigOption,
    as_json: bool = JsonOption,
) -> int:
    """Check every report's signature, the chain that links them, their .md and this machine's journal; exit 1 on any problem.

    Example: offboard verify --signer cc@example.org
    """
    request = operations.VerifyRequest(target, allowed_signers, allow_unsigned, config_path, namespace, tuple(signer),
                                       fix_markdown)
    result = operations.verify(request)
    if as_json:
        print_json("verify", ExitCode.OK if result.ok else ExitCode.ERROR, documents.verify_fields(result))
        return ExitCode.OK if result.ok else ExitCode.ERROR
    for name in result.regenerated:
        say(f"Regenerated {name} from its report.")
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
    if result.principals is None:
        say("No signer pinned: any key in allowed_signers was accepted; pass --signer PRINCIPAL (the CC's) to require it.")
    if result.namespace is None:
        say("No namespace pinned: each report was checked in its own org's namespace; pass --namespace "
            "offboard-report@DOMAIN to require yours.")
    if result.latest:
        say(f"Latest: {result.latest[0]} sha256 {result.latest[1]} (compare it with the one in your minutes)")
    if result.recorded:
        say(f"Journal: the {result.recorded} report{'s' if result.recorded != 1 else ''} this machine wrote "
            f"{'are' if result.recorded != 1 else 'is'} all there, unchanged.")
    unsigned = f" ({result.unsigned} unsigned, accepted with --allow-unsigned)" if result.unsigned else ""
    say(f"{count} verified: signatures good, chain intact{unsigned}.")
    return ExitCode.OK
