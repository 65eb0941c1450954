"""SSHSIG (OpenSSH's PROTOCOL.sshsig): the signed-data layout, the armor, native verification.

Written against the protocol text, not by shelling out to ``ssh-keygen``, so that reports are
signed and checked on a machine with no ssh binaries, yet stay byte-compatible with
``ssh-keygen -Y sign`` and ``ssh-keygen -Y verify``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from offboard.errors import OffboardError

if TYPE_CHECKING:  # cryptography (25 ms) is imported where a key is used: `offboard status` reads none
    from cryptography.hazmat.primitives.hashes import HashAlgorithm

MAGIC = b"SSHSIG"
VERSION = 1
HASH_ALGORITHM = "sha512"  # what ssh-keygen uses; sha256 is accepted when verifying
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
ARMOR_WIDTH = 70  # ssh-keygen wraps the base64 at 70 columns

# each signature algorithm's hash, by its name in cryptography.hazmat.primitives.hashes (``hash_of``)
ECDSA_HASHES = {"ecdsa-sha2-nistp256": "SHA256", "ecdsa-sha2-nistp384": "SHA384", "ecdsa-sha2-nistp521": "SHA512"}
RSA_HASHES = {"rsa-sha2-256": "SHA256", "rsa-sha2-512": "SHA512"}
# FIDO (hardware) keys sign through ssh-agent; their signature covers the application and a counter
SK_TYPES = {"sk-ssh-ed25519@openssh.com": "ssh-ed25519", "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sha2-nistp256"}
KEY_TYPES = frozenset({"ssh-ed25519", "ssh-rsa", *ECDSA_HASHES, *SK_TYPES})


class SignatureError(OffboardError):
    """A signature that does not hold. ``reason`` is a short code callers branch on."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.reason = reason


# ---------------------------------------------------------------- wire encoding (RFC 4251)


def string(value: bytes | str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    return struct.pack(">I", len(data)) + data


def mpint(value: int) -> bytes:
    """A non-negative multiple-precision integer, with the sign byte OpenSSH expects."""
    data = value.to_bytes((value.bit_length() + 8) // 8, "big") if value else b""
    return string(data)


class Reader:
    """Reads SSH wire fields; any truncation becomes a ``SignatureError``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError("the signature is truncated or damaged", "damaged")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def uint32(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def byte(self) -> int:
        return self.take(1)[0]

    def string(self) -> bytes:
        return self.take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode()
        except UnicodeDecodeError as exc:
            raise SignatureError("the signature is damaged (a name is not text)", "damaged") from exc

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise SignatureError("the signature has trailing bytes: it is damaged", "damaged")


# ---------------------------------------------------------------- keys


def key_type(public_blob: bytes) -> str:
    return Reader(public_blob).text()


def fingerprint(public_blob: bytes) -> str:
    """``SHA256:...`` as ``ssh-keygen -l`` prints it."""
    digest = hashlib.sha256(public_blob).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def public_key_line(public_blob: bytes) -> str:
    return f"{key_type(public_blob)} {base64.b64encode(public_blob).decode()}"


def blob_from_line(line: str) -> bytes:
    """The key blob of ``"ssh-ed25519 AAAA... comment"``; ``ValueError`` when it is not one."""
    parts = line.split()
    if len(parts) < 2:
        raise ValueError("not a public key line (expected 'TYPE BASE64 [comment]')")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error as exc:
        raise ValueError("the key is not valid base64") from exc
    if key_type(blob) != parts[0]:
        raise ValueError(f"the key type {parts[0]} does not match the key data")
    return blob


def hash_of(algorithm: str) -> HashAlgorithm:
    """The hash an ECDSA key type or an RSA signature algorithm signs with (``ECDSA_HASHES``, ``RSA_HASHES``)."""
    from cryptography.hazmat.primitives import hashes

    name = ECDSA_HASHES.get(algorithm) or RSA_HASHES[algorithm]
    hash_class: type[HashAlgorithm] = getattr(hashes, name)
    return hash_class()


def _public_key(public_blob: bytes) -> object:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    kind = key_type(public_blob)
    if kind not in KEY_TYPES:
        raise SignatureError(f"keys of type {kind} are not supported (use Ed25519, ECDSA, RSA or FIDO)", "unsupported")
    try:
        return load_ssh_public_key(public_key_line(public_blob).encode())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SignatureError(f"the public key in the signature is damaged ({exc})", "damaged") from exc


# ---------------------------------------------------------------- the SSHSIG layout


def signed_data(message: bytes, namespace: str, hash_algorithm: str = HASH_ALGORITHM) -> bytes:
    """What the key actually signs: the message is hashed and framed with the namespace."""
    digest = hashlib.new(hash_algorithm, message).digest()
    return MAGIC + string(namespace) + string(b"") + string(hash_algorithm) + string(digest)


@dataclass(frozen=True)
class Signature:
    public_key: bytes  # the signer's key blob
    namespace: str
    hash_algorithm: str
    signature: bytes  # the SSH signature blob: string algorithm, string bytes

    def encode(self) -> bytes:
        return (
            MAGIC
            + struct.pack(">I", VERSION)
            + string(self.public_key)
            + string(self.namespace)
            + string(b"")
            + string(self.hash_algorithm)
            + string(self.signature)
        )

    def armor(self) -> str:
        text = base64.b64encode(self.encode()).decode()
        lines = [text[i : i + ARMOR_WIDTH] for i in range(0, len(text), ARMOR_WIDTH)]
        return "\n".join([BEGIN, *lines, END]) + "\n"

    @classmethod
    def parse(cls, armored: str) -> Signature:
        text = armored.strip()
        if not (text.startswith(BEGIN) and text.endswith(END)):
            raise SignatureError("this is not an SSH signature (no BEGIN/END SSH SIGNATURE lines)", "damaged")
        body = "".join(text[len(BEGIN) : -len(END)].split())
        try:
            blob = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise SignatureError("the signature is not valid base64: it was damaged", "damaged") from exc
        reader = Reader(blob)
        if reader.take(len(MAGIC)) != MAGIC:
            raise SignatureError("this is not an SSH signature (bad magic)", "damaged")
        version = reader.uint32()
        if version != VERSION:
            raise SignatureError(f"SSH signature version {version} is not supported", "damaged")
        public_key = reader.string()
        namespace = reader.text()
        reader.string()  # reserved
        hash_algorithm = reader.text()
        signature = reader.string()
        reader.end()
        return cls(public_key, namespace, hash_algorithm, signature)


def sign(message: bytes, namespace: str, public_blob: bytes, raw_sign: Callable[[bytes], bytes]) -> str:
    """Armored SSHSIG of ``message``; ``raw_sign`` turns bytes into an SSH signature blob."""
    blob = raw_sign(signed_data(message, namespace))
    signature = Signature(public_blob, namespace, HASH_ALGORITHM, blob)
    check(signature, message)  # an agent or token that signs wrongly is caught here, not years later
    return signature.armor()


def _sk_signed(public_blob: bytes, flags: int, counter: int, data: bytes) -> bytes:
    """What a FIDO authenticator signs (OpenSSH ssh-ed25519-sk.c): hashes of app and data."""
    reader = Reader(public_blob)
    if reader.text().startswith("sk-ecdsa"):
        reader.string()  # curve name
    reader.string()  # public key
    application = reader.string()
    app_hash, data_hash = hashlib.sha256(application).digest(), hashlib.sha256(data).digest()
    return app_hash + bytes([flags]) + struct.pack(">I", counter) + data_hash


def check(signature: Signature, message: bytes) -> None:
    """Raise ``SignatureError`` (reason ``changed``) unless the key signed exactly ``message``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    if signature.hash_algorithm not in ("sha256", "sha512"):
        raise SignatureError(f"hash algorithm {signature.hash_algorithm} is not allowed", "damaged")
    key = _public_key(signature.public_key)
    kind = key_type(signature.public_key)
    base = SK_TYPES.get(kind, kind)
    reader = Reader(signature.signature)
    algorithm, raw = reader.text(), reader.string()
    data = signed_data(message, signature.namespace, signature.hash_algorithm)
    if kind in SK_TYPES:
        data = _sk_signed(signature.public_key, reader.byte(), reader.uint32(), data)
    reader.end()
    try:
        if base == "ssh-ed25519" and algorithm == kind and isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(raw, data)
        elif base in ECDSA_HASHES and algorithm == kind and isinstance(key, ec.EllipticCurvePublicKey):
            inner = Reader(raw)
            r, s = inner.mpint(), inner.mpint()
            inner.end()
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hash_of(base)))
        elif kind == "ssh-rsa" and algorithm in RSA_HASHES and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, padding.PKCS1v15(), hash_of(algorithm))
        else:
            raise SignatureError(f"signature algorithm {algorithm} is not allowed for a {kind} key", "damaged")
    except InvalidSignature as exc:
        raise SignatureError("the signature does not match the data: it was changed after signing", "changed") from exc
