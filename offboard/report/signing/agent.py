"""A minimal ssh-agent client (draft-miller-ssh-agent): list identities and sign.

Signing through the agent lets the CC keep the report key on a hardware token or in an
agent that never hands out the private key; offboard only sees public keys and signatures.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from offboard.errors import OffboardError
from offboard.report.signing import sshsig

SSH_AGENT_FAILURE = 5
SSH_AGENTC_REQUEST_IDENTITIES = 11
SSH_AGENT_IDENTITIES_ANSWER = 12
SSH_AGENTC_SIGN_REQUEST = 13
SSH_AGENT_SIGN_RESPONSE = 14
SSH_AGENT_RSA_SHA2_512 = 4
MAX_MESSAGE = 256 * 1024


@dataclass(frozen=True)
class Identity:
    key: bytes  # public key blob
    comment: str

    @property
    def fingerprint(self) -> str:
        return sshsig.fingerprint(self.key)


class AgentClient:
    """One connection per request: cheap, and nothing to close."""

    def __init__(self, socket_path: str, timeout: float = 120.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout  # generous: a hardware key may wait for a touch

    def _request(self, message: bytes) -> tuple[int, sshsig.Reader]:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout)
                sock.connect(self.socket_path)
                sock.sendall(struct.pack(">I", len(message)) + message)
                length = struct.unpack(">I", _receive(sock, 4))[0]
                if length > MAX_MESSAGE:
                    raise OffboardError(f"ssh-agent at {self.socket_path} sent an oversized answer: restart the agent")
                reply = sshsig.Reader(_receive(sock, length))
        except OSError as exc:
            raise OffboardError(
                f"cannot talk to ssh-agent at {self.socket_path} ({exc.strerror or exc}): "
                "start ssh-agent and ssh-add the signing key, or set [signing] key to a key file"
            ) from exc
        return reply.byte(), reply

    def identities(self) -> list[Identity]:
        kind, reply = self._request(bytes([SSH_AGENTC_REQUEST_IDENTITIES]))
        if kind != SSH_AGENT_IDENTITIES_ANSWER:
            raise OffboardError(f"ssh-agent at {self.socket_path} refused to list its keys: unlock or restart it")
        try:
            return [Identity(reply.string(), reply.text()) for _ in range(reply.uint32())]
        except sshsig.SignatureError as exc:
            raise OffboardError(f"ssh-agent at {self.socket_path} sent a malformed key list: restart it") from exc

    def sign(self, key: bytes, data: bytes, flags: int = 0) -> bytes:
        """The SSH signature blob of ``data`` made by the agent's key ``key``."""
        request = bytes([SSH_AGENTC_SIGN_REQUEST]) + sshsig.string(key) + sshsig.string(data) + struct.pack(">I", flags)
        kind, reply = self._request(request)
        if kind != SSH_AGENT_SIGN_RESPONSE:
            raise OffboardError(
                f"ssh-agent refused to sign with {sshsig.fingerprint(key)} (a hardware key may need a touch or "
                "its PIN, or a confirmation was declined): try again"
            )
        try:
            return reply.string()
        except sshsig.SignatureError as exc:
            raise OffboardError(f"ssh-agent at {self.socket_path} sent a malformed signature: restart it") from exc


def _receive(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionResetError(0, "the agent closed the connection")
        data += chunk
    return data
