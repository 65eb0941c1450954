"""The comparison for ``time_to_cut``: a script of separate admin commands, one call at a time, cut first.

What an admin who knows GAM types, in the order that ends access soonest, each command
sending its calls one after the other (GAM's own start-up per command is left out: this
is one process, with one token grant per identity, through the connector's transport):

    gam user M deprovision popimap signout    app passwords, backup codes, tokens, POP, IMAP, sign-out
    gam user M delete delegates ...           Gmail delegates (listed first)
    gam user M forward off
    gam update user M password random
    gam update user M suspended on            -- the cut ends here
    gam user M delete groups                  the groups listed, then one removal each
    gam user M delete admin roles / gam update mobile ... action block
    gam update user M gal off ou "/Former members"
    gam user M delete license Google-Apps 1010020027
    gam create datatransfer M gdrive,calendar archive    (started; Google completes it later)

    python benchmarks/gam_style.py KEY_FILE API_ENDPOINT MEMBER_EMAIL NEW_OWNER

Prints JSON: ``cut`` and ``done``, as seconds since the epoch.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from offboard.connectors.google_workspace import doctor
from offboard.connectors.google_workspace.api import Gateway, GoogleClients

PRODUCT, SKU = "Google-Apps", "1010020027"


def main(key_file: str, endpoint: str, email: str, new_owner: str) -> None:
    admin = "admin@" + email.split("@")[1]
    config = {"transfer_to": new_owner, "license_product": PRODUCT}
    clients = GoogleClients(Path(key_file), admin, endpoint, insecure_endpoint=True)
    gw = Gateway(clients, admin, doctor.admin_scopes(config), doctor.GMAIL_SCOPES)
    # deprovision popimap signout
    for asp in gw.asps(email):
        gw.delete_asp(email, int(asp["codeId"]))
    gw.invalidate_backup_codes(email)
    for token in gw.tokens(email):
        gw.delete_token(email, token["clientId"])
    gw.disable_pop(email)
    gw.disable_imap(email)
    gw.sign_out(email)
    for delegate in gw.delegates(email):
        gw.remove_delegate(email, delegate["delegateEmail"])
    gw.disable_forwarding(email)
    gw.reset_password(email)
    gw.update_user(email, {"suspended": True}, f"suspending {email}")
    cut = time.time()
    for group in gw.groups(email):
        gw.remove_member(group["email"], email)
    for assignment in gw.role_assignments(email):
        gw.delete_role_assignment(assignment["roleAssignmentId"])
    for device in gw.devices(email):
        gw.device_action(device["resourceId"], "block")
    gw.update_user(email, {"includeInGlobalAddressList": False, "orgUnitPath": "/Former members"},
                   f"hiding and moving {email}")
    gw.remove_license(PRODUCT, SKU, email)
    old, new = gw.user(email), gw.user(new_owner)
    assert old is not None and new is not None
    gw.start_transfer(old["id"], new["id"])
    done = time.time()
    gw.close()
    print(json.dumps({"cut": cut, "done": done}))

if __name__ == "__main__":
    main(*sys.argv[1:5])
