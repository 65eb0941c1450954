"""Approvals bound to the plan: the committee decides, the tool enforces it.

An approval is a CC member's SSH signature over a small statement that names the saved plan's
digest (``Plan.digest``: SHA-256 of its RFC 8785 bytes). It lives beside the plan file, as two plain
files per approver, so approvals can be made on any machine holding a copy of the plan and shared
by mail or git::

    FILE                                the plan, saved with --save-plan
    FILE.approvals/<slug>.json          the statement, RFC 8785 (JCS) bytes:
                                        {"at": ..., "decision": ..., "digest": "sha256:...",
                                         "format": "offboard-approval/1", "kind": "expel",
                                         "member": "m042", "principal": "alice@example.org"}
    FILE.approvals/<slug>.json.sig      an armored SSHSIG of the statement, namespace
                                        offboard-approval@<[org] domain>

``<slug>`` is the principal made a safe file name (``principals.slug``). The approvers file
(``[approvals] approvers``) is in ssh-keygen's allowed_signers format, one line per approver, so
anyone can check an approval without offboard::

    ssh-keygen -Y verify -f approvers -I alice@example.org -n offboard-approval@example.org \\
        -s FILE.approvals/alice@example.org.json.sig < FILE.approvals/alice@example.org.json

and then compare the statement's ``digest`` with the one ``offboard approvals FILE`` prints.
A signature counts for one plan only (its digest), for one approver only (each principal and each
key count once), and only under the namespace of approvals (a report key cannot approve by accident).
"""

from offboard.approvals.principals import Approvers, canonical, slug
from offboard.approvals.quorum import Approval, Quorum, QuorumNotMet, Rejected, read_approvals, sign_approval
from offboard.approvals.statement import FORMAT, approval_namespace, approvals_dir, signature_path, statement_path

__all__ = [
    "FORMAT", "Approval", "Approvers", "Quorum", "QuorumNotMet", "Rejected", "approval_namespace", "approvals_dir",
    "canonical", "read_approvals", "sign_approval", "signature_path", "slug", "statement_path",
]
