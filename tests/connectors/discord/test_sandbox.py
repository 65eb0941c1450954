"""The demo's server: seeded from the roster's discord column only, ready for a connector built from its config."""

from __future__ import annotations

from pathlib import Path

from offboard.connectors.discord import DiscordConnector
from offboard.connectors.discord.emulator import DiscordEmulator, start_sandbox

from offboard.spi import ConnectorContext, Member, State

ALICE = Member("m001", "Alice Admin", "alice@example.org", identities={"discord": "80351110224678912"})
DAN = Member("m007", "Dan Treasurer", "dan@example.org", identities={"discord": "80351110224678913"})
BOB = Member("m042", "Bob Example", "bob@example.org", identities={"discord": "80351110224678914"})
NO_ID = Member("m043", "Nadia Noid", "nadia@example.org")
FRAN = Member("m050", "Fran Former", "fran@example.org", status="former", identities={"discord": "80351110224678915"})


def test_the_sandbox_seeds_members_with_a_discord_id_and_skips_the_others(tmp_path: Path) -> None:
    sandbox = start_sandbox("example.org", [ALICE, DAN, BOB, NO_ID, FRAN], tmp_path)
    try:
        emulator = sandbox.emulator
        assert isinstance(emulator, DiscordEmulator)
        g = emulator.guild
        names = {r.name: rid for rid, r in g.roles.items()}
        assert sorted(names, key=lambda n: g.roles[names[n]].position) == [
            "@everyone", "Member", "Moderator", "Coordinator", "offboard"]
        people = {g.users[uid].username: uid for uid in g.members}
        assert sorted(people) == ["alice", "bob", "dan", "offboard", "old.treasurer"]  # no Nadia, no Fran
        assert g.owner_id == ALICE.identities["discord"]
        assert {g.roles[r].name for r in g.members[DAN.identities["discord"]].roles} == {"Member", "Moderator"}
        assert sandbox.config["insecure_endpoint"] is True and "DISCORD_BOT_TOKEN" in sandbox.environ
        assert emulator.bot_token not in str(sandbox.config)

        context = ConnectorContext("Example Volunteers", "example.org", tmp_path, sandbox.environ)
        connector = DiscordConnector(sandbox.config, context)
        assert connector.test_connection() == []
        account = connector.resolve(BOB)
        assert account is not None and account.label == "Bob Example (@bob)"
        [ban] = connector.discover(account)
        assert connector.apply(ban).state is State.CHANGED
        assert connector.resolve(NO_ID) is None
    finally:
        sandbox.stop()
