"""``offboard doctor`` for Discord: can the bot do the job, before a run needs it?

It reads the bot's user (``/users/@me``: the token works), the server (``guild_id`` is right and the
bot is in it), the bot's member and roles (Kick Members, Ban Members, Manage Roles; the role's place
in the hierarchy), and lists one member (the privileged Server Members intent, which ``offboard
audit`` needs). Each problem is one sentence with its fix.
"""

from __future__ import annotations

from offboard.spi import ConnectorError

from . import guild
from .api import DiscordApi
from .errors import INTENT_FIX, MissingAccess

NEEDED = {"Kick Members": guild.KICK_MEMBERS, "Ban Members": guild.BAN_MEMBERS, "Manage Roles": guild.MANAGE_ROLES}
INTENT = ("the bot cannot list the server's members, which offboard audit needs: " + INTENT_FIX)


def problems(api: DiscordApi) -> list[str]:
    """Problems as sentences; empty when the bot can ban, kick and manage the roles of every member."""
    try:
        me = guild.bot_user(api)
        server = guild.server(api)
        bot = guild.member(api, str(me["id"]))
    except ConnectorError as exc:
        return [str(exc)]
    if bot is None:
        return [f"the bot is not a member of the server {server.name}: add it (Developer Portal > your app > OAuth2 > "
                "URL Generator, scope bot, with the permissions Kick Members, Ban Members and Manage Roles)"]
    found: list[str] = []
    roles = [str(r) for r in bot.get("roles") or []]
    own = server.top_role(roles)
    granted = server.permissions(str(me["id"]), roles)
    missing = [name for name, bit in NEEDED.items() if not granted & bit]
    if missing:
        found.append(f"the bot's role {own} lacks the permission(s) {', '.join(missing)}: in Server Settings > Roles > "
                     f"{own} > Permissions, turn them on (Timeout Members too if a playbook uses timeout_days)")
    top = server.top(roles)
    above = sorted((rid for rid, role in server.roles.items()
                    if rid not in roles and rid != server.id and not role.get("managed") and server.position(rid) >= top),
                   key=server.position, reverse=True)
    if above:
        names = ", ".join(server.role_name(r) for r in above)
        found.append(f"the bot's highest role {own} is not above the role(s) {names}: Discord will refuse to ban, kick or "
                     f"time out members who have one, and to take those roles away; in Server Settings > Roles, drag "
                     f"{own} above them")
    try:
        api.read(f"{api.guild}/members", "list the server's members", params={"limit": 1}, missing_access=INTENT)
    except MissingAccess:
        found.append(INTENT)
    except ConnectorError as exc:
        found.append(str(exc))
    return found
