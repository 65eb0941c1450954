"""Who signs reports: a key file or ssh-agent, chosen by the ``[signing]`` table.

``[signing]`` keys: ``key`` (a path to an OpenSSH private key, or ``"agent"``), ``signer``
(the identity in allowed_signers), ``allowed_signers`` (the file ``verify`` reads),
``passphrase_env`` (the variable holding the key's passphrase) and ``agent_key`` (which agent
key: ``SHA256:...``, a public key line, or a ``.pub`` path).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from offboard.config import Config
from offboard.errors import ConfigurationError, OffboardError
from offboard.files import private_dir
from offboard.report.signing import sshsig

if TYPE_CHECKING:  # ssh-agent's client is imported when key = "agent": a key file, the usual, needs none of it
    from offboard.report.signing.agent import AgentClient, Identity

SIGNING_KEYS = frozenset({"key", "signer", "allowed_signers", "passphrase_env", "agent_key"})
DEFAULT_KEY = "keys/offboard_ed25519"
Ask = Callable[[str], str | None]


class Signer(Protocol):
    public_key: bytes  # the SSH public key blob

    @property
    def public_key_line(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    def sign(self, data: bytes, namespace: str) -> str:
        """The armored SSHSIG of ``data``, as ``ssh-keygen -Y sign`` writes it."""
        ...


class _PublicKey:
    """What both signers show of their key: the line for allowed_signers and the fingerprint."""

    public_key: bytes

    @property
    def public_key_line(self) -> str:
        return sshsig.public_key_line(self.public_key)

    @property
    def fingerprint(self) -> str:
        return sshsig.fingerprint(self.public_key)


PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class FileKeySigner(_PublicKey):
    """Signs with a private key held in memory (Ed25519, ECDSA, or RSA with rsa-sha2-512)."""

    def __init__(self, key: PrivateKey | serialization.SSHPrivateKeyTypes) -> None:
        if not isinstance(key, PrivateKey):  # a DSA key, say: what load_ssh_private_key may also return
            raise OffboardError(f"{type(key).__name__} keys cannot sign reports: use Ed25519 (`offboard keygen`)")
        self.key: PrivateKey = key
        line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        self.public_key = sshsig.blob_from_line(line.decode())

    def _raw_sign(self, data: bytes) -> bytes:
        key = self.key
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return sshsig.string("ssh-ed25519") + sshsig.string(key.sign(data))
        if isinstance(key, ec.EllipticCurvePrivateKey):
            name = sshsig.key_type(self.public_key)
            r, s = decode_dss_signature(key.sign(data, ec.ECDSA(sshsig.hash_of(name))))
            return sshsig.string(name) + sshsig.string(sshsig.mpint(r) + sshsig.mpint(s))
        return sshsig.string("rsa-sha2-512") + sshsig.string(key.sign(data, padding.PKCS1v15(), hashes.SHA512()))

    def sign(self, data: bytes, namespace: str) -> str:
        return sshsig.sign(data, namespace, self.public_key, self._raw_sign)

    @classmethod
    def from_file(cls, path: Path, passphrase: Callable[[], str]) -> FileKeySigner:
        """Load an OpenSSH private key; ``passphrase`` is asked only if the key is protected."""
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise OffboardError(f"signing key {path} does not exist: run `offboard keygen`, or fix [signing] key") from None
        except IsADirectoryError:
            raise OffboardError(f"signing key {path} is a folder, not a key file: point [signing] key at the private "
                                "key file itself") from None
        except OSError as exc:  # permission denied, or a path through a file
            raise OffboardError(f"signing key {path} cannot be read ({exc.strerror or exc}): make it readable by you "
                                "(chmod 600), or fix [signing] key") from exc
        try:
            return cls(serialization.load_ssh_private_key(data, None))
        except TypeError:  # protected by a passphrase
            pass
        except (ValueError, UnsupportedAlgorithm, NotImplementedError) as exc:  # garbage, damaged, or a FIDO (sk-) key
            raise OffboardError(_unusable(path, exc)) from exc
        try:
            return cls(serialization.load_ssh_private_key(data, passphrase().encode()))
        except ValueError as exc:
            raise OffboardError(f"the passphrase for {path} is wrong: check it and try again") from exc
        except UnsupportedAlgorithm as exc:
            if "bcrypt" in str(exc).lower():
                raise OffboardError(f"{path} needs the bcrypt package to open: pip install bcrypt") from exc
            raise OffboardError(_unusable(path, exc)) from exc
        except (TypeError, NotImplementedError) as exc:
            raise OffboardError(_unusable(path, exc)) from exc


def _unusable(path: Path, error: Exception) -> str:
    return (f"signing key {path} is not a usable OpenSSH private key ({error}): point [signing] key at an Ed25519, "
            'ECDSA or RSA key file (`offboard keygen` makes one), or set key = "agent" for a key held by ssh-agent')


class AgentSigner(_PublicKey):
    """Signs through ssh-agent (hardware tokens included); RSA signs with rsa-sha2-512, never SHA-1."""

    def __init__(self, agent: AgentClient, identity: Identity) -> None:
        self.agent = agent
        self.identity = identity
        self.public_key = identity.key

    def sign(self, data: bytes, namespace: str) -> str:
        from offboard.report.signing.agent import SSH_AGENT_RSA_SHA2_512

        rsa_key = sshsig.key_type(self.public_key) == "ssh-rsa"
        flags = SSH_AGENT_RSA_SHA2_512 if rsa_key else 0
        return sshsig.sign(data, namespace, self.public_key, lambda d: self.agent.sign(self.public_key, d, flags))

    @classmethod
    def choose(cls, agent: AgentClient, wanted: bytes | str | None) -> AgentSigner:
        """The agent key matching ``wanted`` (a blob or a fingerprint), else the only usable one."""
        usable = [i for i in agent.identities() if sshsig.key_type(i.key) in sshsig.KEY_TYPES]
        listed = ", ".join(f"{i.fingerprint} ({i.comment})" for i in usable) or "none"
        if wanted is not None:
            found = [i for i in usable if wanted in (i.key, i.fingerprint)]
            if not found:
                name = wanted if isinstance(wanted, str) else sshsig.fingerprint(wanted)
                raise OffboardError(
                    f"ssh-agent does not hold the signing key {name} (it holds: {listed}): ssh-add it, "
                    "or fix [signing] agent_key"
                )
            return cls(agent, found[0])
        if len(usable) != 1:
            raise OffboardError(
                f"ssh-agent holds {len(usable)} usable keys ({listed}): set [signing] agent_key to the "
                "fingerprint of the one that signs reports"
                if usable
                else "ssh-agent holds no Ed25519, ECDSA, RSA or FIDO key: ssh-add the signing key"
            )
        return cls(agent, usable[0])


def tty_prompt(prompt: str) -> str | None:
    """Ask on the terminal; ``None`` when no one is there to answer."""
    return getpass.getpass(prompt) if sys.stdin.isatty() else None


def _agent_wanted(value: object, config: Config) -> bytes | str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError("[signing] agent_key must be a fingerprint (SHA256:...), a public key, or a .pub path")
    text = value.strip()
    if text.startswith("SHA256:"):
        return text
    try:
        line = text if " " in text else config.resolve_path(text).read_text(encoding="utf-8")
        return sshsig.blob_from_line(line)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"[signing] agent_key '{text}' is not usable ({exc}): fix it") from exc


def load_signer(config: Config, environ: Mapping[str, str] = os.environ, ask: Ask = tty_prompt) -> Signer | None:
    """The configured signer, or None when ``[signing] key`` is not set (reports go unsigned)."""
    table = config.signing
    unknown = sorted(set(table) - SIGNING_KEYS)
    if unknown:
        known = ", ".join(sorted(SIGNING_KEYS))
        raise ConfigurationError(f"[signing]: unknown key {', '.join(unknown)} (known: {known})")
    key = table.get("key")
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip():
        raise ConfigurationError('[signing] key must be a path to a private key, or "agent"')
    if key.strip() == "agent":
        from offboard.report.signing.agent import AgentClient

        socket_path = environ.get("SSH_AUTH_SOCK", "")
        if not socket_path:
            raise OffboardError(
                '[signing] key = "agent" but SSH_AUTH_SOCK is not set: start ssh-agent (eval "$(ssh-agent)") '
                "and ssh-add the signing key"
            )
        return AgentSigner.choose(AgentClient(socket_path), _agent_wanted(table.get("agent_key"), config))
    path = config.resolve_path(key.strip())
    return FileKeySigner.from_file(path, lambda: _passphrase(path, table.get("passphrase_env"), environ, ask))


def _passphrase(path: Path, variable: object, environ: Mapping[str, str], ask: Ask) -> str:
    if variable:
        value = environ.get(str(variable), "")
        if not value:
            raise OffboardError(f"{path} is protected by a passphrase and ${variable} is empty: export it")
        return value
    answer = ask(f"Passphrase for {path}: ")
    if answer is None:
        raise OffboardError(
            f"{path} is protected by a passphrase and there is no terminal to ask it on: "
            'set [signing] passphrase_env = "VARIABLE" and export VARIABLE'
        )
    return answer


@dataclass(frozen=True)
class GeneratedKey:
    private_path: Path
    public_path: Path
    public_key_line: str  # "ssh-ed25519 AAAA..."
    fingerprint: str

    def allowed_signers_line(self, signer: str, namespace: str | None = None) -> str:
        """The line to publish; ``namespaces=`` keeps the key from vouching for anything else."""
        options = f' namespaces="{namespace}"' if namespace else ""
        return f"{signer}{options} {self.public_key_line}"


def generate_key(path: Path, comment: str, passphrase: str | None = None) -> GeneratedKey:
    """Write a new Ed25519 key (OpenSSH format, mode 0600) and its ``.pub``; never overwrite."""
    public_path = path.with_name(path.name + ".pub")
    for existing in (path, public_path):
        if existing.exists():
            raise OffboardError(
                f"{existing} already exists: offboard never overwrites a signing key; "
                "pass --out for a new path, or remove the old key deliberately"
            )
    key = ed25519.Ed25519PrivateKey.generate()
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption()
    )
    try:
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption)
    except UnsupportedAlgorithm as exc:
        raise OffboardError("a passphrase-protected key needs the bcrypt package: pip install bcrypt") from exc
    signer = FileKeySigner(key)
    line = sshsig.public_key_line(signer.public_key)
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public_path.write_text(f"{line} {comment}\n", encoding="utf-8")
    return GeneratedKey(path, public_path, line, sshsig.fingerprint(signer.public_key))
