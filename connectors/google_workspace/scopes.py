"""The OAuth scopes the connector asks for, by the API (and the identity) that uses them.

Directory, Data Transfer and Licensing calls act as the admin; Gmail settings calls act
as the user whose settings they change, so the Gmail scopes are delegated per user.
"""

from __future__ import annotations

AUTH = "https://www.googleapis.com/auth/"

DIRECTORY = (
    AUTH + "admin.directory.user",  # users: read, suspend, reset password, GAL, org unit
    AUTH + "admin.directory.user.security",  # sign-out, tokens, app passwords, backup codes
    AUTH + "admin.directory.group",  # the user's groups and memberships
    AUTH + "admin.directory.rolemanagement",  # admin role assignments
    AUTH + "admin.directory.device.mobile.action",  # list, block and wipe mobile devices
)
DATA_TRANSFER = (AUTH + "admin.datatransfer",)
LICENSING = (AUTH + "apps.licensing",)
GMAIL = (
    AUTH + "gmail.settings.basic",  # read delegates and forwarding, turn off POP and IMAP
    AUTH + "gmail.settings.sharing",  # remove delegates, turn off auto-forwarding
)
ALL = DIRECTORY + DATA_TRANSFER + LICENSING + GMAIL
