"""``offboard keygen`` and ``offboard verify``: make the report key, and check the ledger."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from offboard.cli.app import ConfigOption, app, console
from offboard.config import CONFIG_ENV, DEFAULT_NAME, Config, load_config
from offboard.errors import OffboardError
from offboard.report.ledger import report_namespace


def _optional_config(explicit: str | None) -> Config | None:
    """The config when there is one; keygen and verify also work from a bare ledger clone."""
    if explicit or os.environ.get(CONFIG_ENV) or (Path.cwd() / DEFAULT_NAME).is_file():
        return load_config(explicit)
    return None


def _say(text: str) -> None:
    """Print as is: paths and messages may hold brackets that are not markup."""
    console.print(text, markup=False)


def _shown(path: Path, base: Path) -> str:
    """A path as the user should type it: relative to ``base`` when it lies inside it, else absolute."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path.resolve())


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
    from offboard.report.signing.keys import DEFAULT_KEY, generate_key  # cryptography: only for this command

    config = _optional_config(config_path)
    table = config.signing if config else {}
    base = config.base_dir if config else Path.cwd()
    configured = table.get("key") if table.get("key") != "agent" else None
    path = out or (config.resolve_path(configured or DEFAULT_KEY) if config else Path(DEFAULT_KEY))
    identity = signer or table.get("signer")
    if not identity:
        raise OffboardError("who signs? pass --signer EMAIL (the identity for allowed_signers, e.g. cc@example.org)")
    passphrase = os.environ.get(passphrase_env, "") if passphrase_env else None
    if passphrase_env and not passphrase:
        raise OffboardError(f"${passphrase_env} is empty: export the passphrase in it, then run keygen again")
    key = generate_key(path, identity, passphrase)
    namespace = report_namespace(config.org_domain) if config else None
    line = key.allowed_signers_line(identity, namespace)
    if config and table.get("allowed_signers"):
        signers_path = config.resolve_path(str(table["allowed_signers"]))
    else:
        signers_path = path.parent / "allowed_signers"
    signers_path.parent.mkdir(parents=True, exist_ok=True)
    existing = signers_path.read_text(encoding="utf-8") if signers_path.is_file() else ""
    ends_open = bool(existing) and not existing.endswith("\n")
    with signers_path.open("a", encoding="utf-8") as handle:
        handle.write(("\n" if ends_open else "") + line + "\n")
    _say(f"Created signing key {_shown(key.private_path, base)} and {_shown(key.public_path, base)}.")
    _say(f"Fingerprint: {key.fingerprint}")
    _say(f"allowed_signers line (added to {_shown(signers_path, base)}; publish it, e.g. in the minutes):")
    _say(line)
    _say(f"Put this in {config.path.name if config else DEFAULT_NAME}:")
    snippet = [
        "[signing]",
        f'key = "{_shown(key.private_path, base)}"',
        f'signer = "{identity}"',
        f'allowed_signers = "{_shown(signers_path, base)}"',
    ]
    snippet += [f'passphrase_env = "{passphrase_env}"'] if passphrase_env else []
    _say("\n".join(snippet))
    if namespace:
        _say("Anyone can check a report without offboard:")
        _say(f"ssh-keygen -Y verify -f allowed_signers -I {identity} -n {namespace} -s REPORT.json.sig < REPORT.json")


def _allowed_signers_path(option: Path | None, config: Config | None) -> Path:
    if option:
        return option
    table = config.signing if config else {}
    if config and table.get("allowed_signers"):
        return config.resolve_path(str(table["allowed_signers"]))
    if config and table.get("key") and table["key"] != "agent":
        return config.resolve_path(str(table["key"])).parent / "allowed_signers"
    raise OffboardError(
        "which keys may sign? pass --allowed-signers FILE, or set [signing] allowed_signers in offboard.toml"
    )


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
    config = _optional_config(config_path) if config_path or not (target and allowed_signers) else None
    if target is None:
        if config is None:
            raise OffboardError("no offboard.toml here, so which reports? run `offboard verify DIR --allowed-signers FILE`")
        target = config.reports_dir
    signers_path = _allowed_signers_path(allowed_signers, config)
    try:
        signers_text = signers_path.read_text(encoding="utf-8")
    except OSError as exc:
        raise OffboardError(
            f"cannot read allowed_signers file {signers_path} ({exc.strerror}): pass --allowed-signers FILE"
        ) from exc
    from offboard.report.verify import verify_ledger  # cryptography: only for this command

    result = verify_ledger(target, signers_text, allow_unsigned)
    for problem in result.problems:
        _say(str(problem))
    count = f"{result.reports} report{'s' if result.reports != 1 else ''}"
    if result.problems:
        many = len(result.problems) != 1
        _say(
            f"{len(result.problems)} problem{'s' if many else ''} in {count}: "
            "do not rely on this ledger until they are explained."
        )
        return 1
    if result.signers:
        _say(f"Signed by: {', '.join(sorted(result.signers))}")
    if result.latest:
        name, digest = result.latest
        _say(f"Latest: {name} sha256 {digest} (compare it with the one in your minutes)")
    unsigned = f" ({result.unsigned} unsigned, accepted with --allow-unsigned)" if result.unsigned else ""
    _say(f"{count} verified: signatures good, chain intact{unsigned}.")
    return 0
