"""The fake Discord holds bodies and command schemas to Discord's limits, as Discord does."""

from __future__ import annotations

import discord
import pytest

from fakes.discord import FakeDiscord, InteractionTimeout
from tests.fakes.discord_bot import connected, pointed_at, tiny_bot


async def test_bodies_over_discords_limits_are_refused(fake: FakeDiscord) -> None:
    fake.ack_deadline = 1.0  # refused callbacks never arrive: don't wait Discord's full 3 s
    guild = fake.add_guild()
    alice = fake.add_member(guild, "alice")
    async with connected(fake) as client:
        fine = await fake.slash(guild, alice, "huge", fields=25)
        assert len(fine.embed["fields"]) == 25 and not fine.errors
        with pytest.raises(InteractionTimeout, match=r"fields: 26 > 25"):
            await fake.slash(guild, alice, "huge", fields=26)
        assert client.refusals == [50035], "discord.py saw Discord's Invalid Form Body"
        with pytest.raises(InteractionTimeout, match=r"choices: 30 > 25"):
            await fake.autocomplete(guild, alice, "crowded", "title", "t")
        assert len(fake.rejected) == 2


async def test_command_schemas_discord_would_refuse(fake: FakeDiscord) -> None:
    client, tree = tiny_bot()

    @tree.command(name="wordy", description="x" * 100)
    async def wordy(interaction: discord.Interaction, a: str, b: str | None = None) -> None:
        await interaction.response.send_message("ok")

    payload = [c.to_dict(tree) for c in tree.get_commands()]
    from fakes.discord.limits import commands_problems

    assert commands_problems(payload) == []
    bad = [
        {**payload[0], "name": "Loud"},
        {
            "name": "order",
            "description": "d" * 101,
            "options": [
                {"type": 3, "name": "late", "description": "x", "required": False},
                {"type": 3, "name": "first", "description": "", "required": True},
            ],
        },
    ]
    problems = commands_problems(bad)
    assert any("'Loud'" in p for p in problems)
    assert any("1.description" in p for p in problems)
    assert any("1.options.1.description" in p for p in problems)
    assert any("required options must come before" in p for p in problems)

    with pointed_at(fake):
        await client.login("a-test-token")
        await tree.sync()  # valid: accepted
        assert "wordy" in fake.commands[None]
        with pytest.raises(discord.HTTPException) as refused:
            await client.http.bulk_upsert_global_commands(fake.application_id, payload=bad)
        assert refused.value.code == 50035
        assert "wordy" in fake.commands[None], "a refused overwrite changes nothing"
        await client.close()
