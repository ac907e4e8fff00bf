"""Members act: ``slash``, ``autocomplete``, ``click`` and ``submit_modal`` build the
INTERACTION_CREATE a Discord client would cause, send it through the gateway and wait for the
bot's answer (:class:`~fakes.discord.results.InteractionResult`).
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from fakes.discord.models import (
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeMessage,
    FakeUser,
    Permission,
    snowflake,
)
from fakes.discord.options import OptionError, build_options, nest, resolve_path
from fakes.discord.results import (
    AUTOCOMPLETE_RESULT,
    InteractionResult,
    PendingInteraction,
)

if TYPE_CHECKING:
    from fakes.discord.gateway import Gateway

# Interaction types (Discord API "Interaction Type").
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


class MemberActions:
    """What tests do as members of a guild (a base of :class:`~fakes.discord.FakeDiscord`,
    which holds the state)."""

    ack_deadline: float
    application_id: int
    guilds: dict[int, FakeGuild]
    commands: dict[int | None, dict[str, dict[str, Any]]]
    interactions: dict[str, PendingInteraction]
    gateway: Gateway

    def command(self, name: str, guild: FakeGuild | None = None) -> dict[str, Any]:
        """The registered schema of ``name`` as a member of ``guild`` sees it (guild first)."""
        if guild is not None and name in self.commands.get(guild.id, {}):
            return self.commands[guild.id][name]
        if name in self.commands.get(None, {}):
            return self.commands[None][name]
        known = sorted({n for scope in self.commands.values() for n in scope})
        raise OptionError(f"no command /{name} is registered (registered: {known})")

    async def slash(
        self,
        guild: FakeGuild,
        user: FakeUser | FakeMember,
        name: str,
        /,
        *,
        channel: FakeChannel | None = None,
        within: float = 20.0,
        settle: float = 0.2,
        locale: str = "en-US",
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> InteractionResult:
        """A member runs ``/name option=value …``; returns once the bot has finished answering.

        ``name`` may hold subcommands ("config set"). Options come as keyword arguments, or in
        ``options`` for names that clash with this method's own (``channel``, ``within``, …).
        Waits for the callback (within the fake's ``ack_deadline``, as Discord would), for a
        deferred reply's edit or followup (within ``within`` seconds), then for ``settle``
        seconds without further requests.
        """
        values = {**kwargs, **(options or {})}
        pending, payload = self._command_interaction(
            guild, user, name, values, channel=channel, locale=locale
        )
        return await self._send_and_wait(pending, payload, within=within, settle=settle)

    async def autocomplete(
        self,
        guild: FakeGuild,
        user: FakeUser | FakeMember,
        name: str,
        option: str,
        value: str,
        /,
        *,
        within: float = 10.0,
        options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]]:
        """A member types ``value`` into ``option`` of ``/name`` (other options already filled
        in as keyword arguments or ``options``); the choices the bot offers."""
        values = {**kwargs, **(options or {}), option: value}
        pending, payload = self._command_interaction(
            guild, user, name, values, focused=option, channel=None
        )
        result = await self._send_and_wait(pending, payload, within=within, settle=0.0)
        if result.callback_type != AUTOCOMPLETE_RESULT:
            raise AssertionError(f"autocomplete answered with callback {result.callback}")
        return result.choices

    async def click(
        self,
        message: FakeMessage | InteractionResult,
        custom_id: str,
        user: FakeUser | FakeMember,
        /,
        *,
        values: list[str] | None = None,
        within: float = 20.0,
        settle: float = 0.2,
    ) -> InteractionResult:
        """A member presses the button (or picks ``values`` in the select) ``custom_id``.

        The component must exist and be enabled on the message, as in the Discord client.
        """
        if isinstance(message, InteractionResult):
            if message.message is None:
                raise AssertionError(f"/{message.name} left no message to click on")
            message = message.message
        user = user.user if isinstance(user, FakeMember) else user
        component = message.component(custom_id)
        if component is None:
            ids = [c.get("custom_id") for c in message.buttons()]
            raise OptionError(f"message {message.id} has no component {custom_id!r} ({ids})")
        if component.get("disabled"):
            raise OptionError(f"component {custom_id!r} is disabled")
        guild = self.guilds.get(message.guild_id) if message.guild_id else None
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if component["type"] != 2:
            data["values"] = list(values or [])
        pending = self._new_pending(MESSAGE_COMPONENT, user, guild, message.channel_id, custom_id)
        pending.clicked = message
        payload = self._interaction_payload(pending, data)
        payload["message"] = message.payload()
        return await self._send_and_wait(pending, payload, within=within, settle=settle)

    async def submit_modal(
        self,
        result: InteractionResult,
        user: FakeUser | FakeMember,
        values: dict[str, str],
        *,
        within: float = 20.0,
        settle: float = 0.2,
    ) -> InteractionResult:
        """A member fills in the modal the bot opened (text inputs by custom_id) and submits."""
        modal = result.modal
        if modal is None:
            raise AssertionError(f"/{result.name} did not open a modal")
        user = user.user if isinstance(user, FakeMember) else user
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]}
            for key, value in values.items()
        ]
        data = {"custom_id": modal["custom_id"], "components": rows}
        guild = next((g for g in self.guilds.values() if user.id in g.members), None)
        channel_id = guild.default_channel.id if guild else 0
        pending = self._new_pending(MODAL_SUBMIT, user, guild, channel_id, modal["custom_id"])
        payload = self._interaction_payload(pending, data)
        return await self._send_and_wait(pending, payload, within=within, settle=settle)

    # ----------------------------------------------------------------- interaction plumbing

    def _command_interaction(
        self,
        guild: FakeGuild,
        user: FakeUser | FakeMember,
        name: str,
        values: dict[str, Any],
        *,
        channel: FakeChannel | None,
        locale: str = "en-US",
        focused: str | None = None,
    ) -> tuple[PendingInteraction, dict[str, Any]]:
        user = user.user if isinstance(user, FakeMember) else user
        member = guild.members.get(user.id)
        if member is None:
            raise OptionError(f"{user.username} is not a member of {guild.name}")
        top, *path = name.split()
        command = self.command(top, guild)
        required = command.get("default_member_permissions")
        if required is not None and not member.has(int(required)):
            raise PermissionError(
                f"Discord does not show /{top} to {user.username}: needs permissions {required}"
            )
        wrappers, leaf = resolve_path(command, path)
        options, resolved = build_options(leaf, values, guild=guild, focused=focused)
        data: dict[str, Any] = {
            "id": command["id"],
            "name": top,
            "type": command.get("type", 1),
            "options": nest(wrappers, options),
        }
        if resolved:
            data["resolved"] = resolved
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        kind = AUTOCOMPLETE if focused is not None else APPLICATION_COMMAND
        channel = channel or guild.default_channel
        pending = self._new_pending(kind, user, guild, channel.id, name)
        return pending, self._interaction_payload(pending, data, locale=locale)

    def _new_pending(
        self, kind: int, user: FakeUser, guild: FakeGuild | None, channel_id: int, name: str
    ) -> PendingInteraction:
        pending = PendingInteraction(
            id=snowflake(),
            token="aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            type=kind,
            user=user,
            guild=guild,
            channel_id=channel_id,
            name=name,
        )
        self.interactions[pending.token] = pending
        return pending

    def _interaction_payload(
        self,
        pending: PendingInteraction,
        data: dict[str, Any],
        *,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        guild = pending.guild
        payload: dict[str, Any] = {
            "id": str(pending.id),
            "application_id": str(self.application_id),
            "type": pending.type,
            "data": data,
            "token": pending.token,
            "version": 1,
            "locale": locale,
            "app_permissions": str(Permission.ALL),
            "entitlements": [],
            "attachment_size_limit": 25 * 1024 * 1024,
            "context": 0 if guild is not None else 1,
        }
        if guild is not None:
            member = guild.members[pending.user.id]
            channel = guild.channel(pending.channel_id) or guild.default_channel
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                channel_id=str(channel.id),
                channel={**channel.payload(), "permissions": str(member.permissions)},
                member=member.payload(with_permissions=True),
                authorizing_integration_owners={"0": str(guild.id)},
            )
        else:
            payload["user"] = pending.user.payload()
            payload["authorizing_integration_owners"] = {"1": str(pending.user.id)}
        return payload

    async def _send_and_wait(
        self,
        pending: PendingInteraction,
        payload: dict[str, Any],
        *,
        within: float,
        settle: float,
    ) -> InteractionResult:
        pending.sent_at = time.perf_counter()
        pending.deadline = pending.sent_at + self.ack_deadline
        await self.gateway.dispatch(
            "INTERACTION_CREATE",
            payload,
            guild_id=pending.guild.id if pending.guild is not None else None,
            released=lambda: pending.release(self.ack_deadline),
        )
        await pending.wait_done(ack_within=self.ack_deadline, within=within, settle=settle)
        return InteractionResult.of(pending)
