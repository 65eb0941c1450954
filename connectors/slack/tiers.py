"""Slack's published rate-limit tiers: the one table both the api (pacing) and the emulator (429s) use."""

from __future__ import annotations

# The documented tier of each Web API method used (docs.slack.dev method pages).
# auth.test is in the "special" tier: hundreds a minute, so it is not paced.
METHOD_TIERS = {
    "users.lookupByEmail": "tier3",
    "users.info": "tier4",
    "users.list": "tier2",
    "users.conversations": "tier3",
    "conversations.members": "tier4",
    "conversations.kick": "tier3",
    "conversations.info": "tier3",
    "conversations.invite": "tier3",
    "usergroups.list": "tier2",
    "usergroups.users.list": "tier2",
    "usergroups.users.update": "tier2",
    "usergroups.disable": "tier2",
    "usergroups.enable": "tier2",
    "admin.users.session.reset": "tier2",
}

# Requests per minute each tier allows; scim_write is SCIM's limit for writes.
PER_MINUTE = {"tier2": 20, "tier3": 50, "tier4": 100, "scim_write": 180}
