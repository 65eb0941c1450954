"""Discord's refusals become the right kind of error, each a sentence with the fix; throttling waits as Discord says."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from offboard.connectors.discord import DiscordConnector
from offboard.connectors.discord.emulator.limits import Limits
from offboard.connectors.discord.emulator.state import KICK_MEMBERS, MANAGE_ROLES
from offboard.connectors.discord.errors import DiscordNotFound, classify
from offboard.connectors.discord.ratelimit import Buckets, route_key

from offboard.apply.retry import RetryPolicy, retried_read
from offboard.spi import AuthError, ConnectorContext, FatalError, Member, RetriableError, State
from tests.connectors.discord.conftest import BOB, Org, connect


def test_a_429_waits_the_float_retry_after_of_its_body_not_the_rounded_header(org: Org) -> None:
    org.emulator.faults.retry_after = 2.5
    org.emulator.faults.script.append("429")
    with pytest.raises(RetriableError) as caught:
        connect(org.emulator).resolve(BOB)
    assert caught.value.retry_after == 2.5
    assert org.emulator.log[0].status == 429
    assert str(caught.value) == ("Discord rate-limited offboard (user limit) when trying to read the member "
                                 f"{org.bob}: it is tried again after 2.5 s")


def test_the_engine_retries_a_throttled_read_after_that_wait(org: Org) -> None:
    slept: list[float] = []
    org.emulator.faults.retry_after = 2.5
    org.emulator.faults.script.append("429")
    context = ConnectorContext("Org", "example.org", Path("."), {"DISCORD_BOT_TOKEN": org.emulator.bot_token},
                               retrying=partial(retried_read, policy=RetryPolicy(sleep=slept.append)))
    connector = DiscordConnector({"guild_id": org.emulator.guild_id, "api_url": org.emulator.api_url,
                                  "insecure_endpoint": True}, context)
    account = connector.resolve(BOB)
    assert account is not None and account.id == org.bob
    assert len(slept) == 1 and slept[0] >= 2.5


def test_a_used_up_bucket_is_not_asked_again_until_it_resets(org: Org) -> None:
    now = [0.0]  # one clock for Discord and offboard
    org.emulator.limits = Limits((50, 1.0), None, clock=lambda: now[0])
    org.emulator.limits.limit_route("GET /guilds/{guild}/members/{user}", 2, 30.0)
    connector = connect(org.emulator)
    connector.api.buckets = Buckets(clock=lambda: now[0])
    connector.resolve(BOB)
    connector.resolve(BOB)  # Remaining: 0, Reset-After: about 30 s
    with pytest.raises(RetriableError) as caught:
        connector.resolve(BOB)
    assert 29 < (caught.value.retry_after or 0) <= 30
    assert str(caught.value).startswith("Discord's rate limit for this kind of request is used up (to read the member ")
    assert len(org.emulator.log) == 2 and all(r.status == 200 for r in org.emulator.log)  # no 429 was earned
    carol = Member("m9", "Carol", "carol@example.org", identities={"discord": org.carol})
    with pytest.raises(RetriableError):  # another member: the same route, so the same bucket
        connector.resolve(carol)
    now[0] = 31.0
    assert connector.resolve(carol) is not None  # reset: asked again
    assert len(org.emulator.log) == 3


def test_buckets_are_per_route_and_reset_after_their_time() -> None:
    now = [0.0]
    buckets = Buckets(clock=lambda: now[0])
    member = route_key("GET", "/guilds/81/members/42")
    assert member == "GET /guilds/81/members/{id}" and route_key("PUT", "/guilds/81/bans/42") == "PUT /guilds/81/bans/{id}"
    buckets.update(member, {"X-RateLimit-Bucket": "abc", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.5"})
    with pytest.raises(RetriableError) as caught:
        buckets.check(route_key("GET", "/guilds/81/members/43"), "read")  # another member, the same bucket
    assert caught.value.retry_after == 1.5
    buckets.check(route_key("GET", "/guilds/82/members/43"), "read")  # another guild: its own bucket
    buckets.check(route_key("PUT", "/guilds/81/bans/42"), "ban")  # another route
    now[0] = 1.6
    buckets.check(member, "read")  # reset


def test_a_wrong_token_says_where_to_reset_it_and_never_shows_it(org: Org) -> None:
    with pytest.raises(AuthError) as caught:
        connect(org.emulator, token="MTIz.bad.token").resolve(BOB)
    assert str(caught.value) == (
        "Discord rejected the bot token (401 Unauthorized) when trying to read the member "
        f"{org.bob}: reset the token in the Developer Portal (https://discord.com/developers/applications > your app > "
        "Bot > Reset Token) and put the new one in the environment variable DISCORD_BOT_TOKEN")
    assert "MTIz" not in str(caught.value)


def test_a_token_pasted_with_its_line_end_still_works(org: Org) -> None:
    connector = connect(org.emulator, environ={"DISCORD_BOT_TOKEN": f" {org.emulator.bot_token}\n"})
    assert connector.resolve(BOB) is not None
    assert org.emulator.log[0].headers["authorization"] == f"Bot {org.emulator.bot_token}"


def test_a_token_not_set_names_the_variable(org: Org) -> None:
    with pytest.raises(AuthError, match="environment variable DISCORD_BOT_TOKEN is not set"):
        connect(org.emulator, environ={}).resolve(BOB)
    assert org.emulator.log == []


def test_an_unknown_guild_names_guild_id_and_where_to_copy_it(org: Org) -> None:
    connector = connect(org.emulator, guild_id="123456")
    with pytest.raises(FatalError) as caught:
        connector.resolve(BOB)
    assert str(caught.value) == (
        "Discord knows no server with guild_id 123456 (Unknown Guild, code 10004) when trying to read the member "
        f"{org.bob}: fix [connectors.discord] guild_id (in Discord, turn on User Settings > Advanced > Developer Mode, "
        "right-click the server's icon and choose Copy Server ID)")


def test_server_errors_and_lost_connections_are_retriable(org: Org) -> None:
    org.emulator.faults.script.extend(["503", "reset"])
    connector = connect(org.emulator)
    with pytest.raises(RetriableError, match=r"Discord failed for now \(HTTP 503\)"):
        connector.resolve(BOB)
    with pytest.raises(RetriableError, match="could not reach Discord"):
        connector.resolve(BOB)


def test_a_role_above_the_bot_fails_alone_with_the_fix_while_the_others_go(org: Org) -> None:
    org.emulator.move_role(org.coordinator, 100)
    connector = connect(org.emulator)
    account = connector.resolve(BOB)
    assert account is not None
    states = {}
    for action in connector.discover(account, {"ban": False, "kick": False}):
        try:
            states[action.params["name"]] = connector.apply(action).state
        except FatalError as exc:
            states[action.params["name"]] = str(exc)
    assert states["Member"] is State.CHANGED and states["Moderator"] is State.CHANGED
    assert str(states["Coordinator"]).startswith("Discord refused to take the role Coordinator from Bob Example (@bob) "
                                                 "(Missing Permissions, code 50013)")
    assert "the Manage Roles permission" in str(states["Coordinator"])


def test_form_errors_name_the_field() -> None:
    error = classify(400, {"code": 50035, "message": "Invalid Form Body", "errors": {"communication_disabled_until": {
        "_errors": [{"code": "X", "message": "Timeout cannot be more than 28 days in the future."}]}}}, {}, "time out Bob",
        token_env="T", guild_id="1")
    assert str(error) == ("Discord refused to time out Bob: Invalid Form Body (communication_disabled_until: Timeout "
                          "cannot be more than 28 days in the future.)")
    missing = classify(404, {"code": 10011, "message": "Unknown Role"}, {}, "give a role", token_env="T", guild_id="1")
    assert isinstance(missing, DiscordNotFound) and missing.code == 10011


def test_a_read_refused_for_a_missing_permission_says_which_to_turn_on(org: Org) -> None:
    org.emulator.set_bot_permissions(KICK_MEMBERS | MANAGE_ROLES)
    org.emulator.leave(org.bob)  # not a member: resolve asks whether they are banned
    with pytest.raises(FatalError) as caught:
        connect(org.emulator).resolve(BOB)
    assert str(caught.value) == (
        f"Discord refused to read the ban of {org.bob} (Missing Permissions, code 50013): in Server Settings > Roles > "
        "the bot's role > Permissions, turn on Ban Members")
