"""What the REST handlers share: Discord's JSON responses, the fake's state they read and write,
request bodies (JSON or multipart), attachments, message edits and the 400 for bodies over
Discord's limits.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakes.discord.limits import message_problems
from fakes.discord.models import (
    LOADING,
    FakeAttachment,
    FakeGuild,
    FakeMessage,
    FakeUser,
    iso_now,
    snowflake,
)
from fakes.discord.results import PendingInteraction

if TYPE_CHECKING:
    import asyncio

    from fakes.discord.gateway import Gateway

log = logging.getLogger("fakes.discord.rest")

API_PREFIX = "/api/v10"


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json``.

    discord.py parses a body as JSON only when the header equals that string; aiohttp's
    ``json_response`` would append ``; charset=utf-8`` and discord.py would see text.
    """
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status=status)


class RestBase:
    """The state of :class:`~fakes.discord.server.FakeDiscord` the REST handlers use, and the
    helpers they share (each group of handlers is a subclass; :class:`RestApi` joins them)."""

    token: str | None
    application_id: int
    bot_user: FakeUser
    owner: FakeUser
    users: dict[int, FakeUser]
    guilds: dict[int, FakeGuild]
    messages: dict[int, FakeMessage]
    attachments: dict[int, FakeAttachment]
    commands: dict[int | None, dict[str, dict[str, Any]]]
    command_syncs: int
    max_concurrency: int
    interactions: dict[str, PendingInteraction]
    unhandled: list[str]
    rejected: list[str]
    _commands_changed: asyncio.Event
    gateway: Gateway

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    @property
    def gateway_url(self) -> str:
        raise NotImplementedError

    def token_ok(self, token: str | None) -> bool:
        if token is None:
            return False
        token = token.removeprefix("Bot ")
        return self.token is None or token == self.token

    def attachment(
        self, filename: str, data: bytes, content_type: str | None = None
    ) -> FakeAttachment:
        """A file a member uploads, for an attachment option; served from the fake's CDN."""
        attachment_id = snowflake()
        url = f"{self.base_url}/cdn/attachments/{attachment_id}/{filename}"
        attachment = FakeAttachment(attachment_id, filename, data, content_type, url)
        self.attachments[attachment_id] = attachment
        return attachment

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The JSON body, from plain JSON or multipart ``payload_json`` + ``files[n]``."""
        if request.content_type != "multipart/form-data":
            return (await request.json() if request.can_read_body else {}), []
        form = await request.post()
        raw = form.get("payload_json", "{}")
        body = json.loads(raw if isinstance(raw, str | bytes) else "{}")
        uploaded = []
        for key, value in form.items():
            if key.startswith("files[") and isinstance(value, web.FileField):
                data = value.file.read()
                stored = self.attachment(value.filename, data, value.content_type)
                uploaded.append(stored.payload())
        return body, uploaded

    def _invalid(self, pending: PendingInteraction | None, problems: list[str]) -> web.Response:
        text = "Invalid Form Body: " + "; ".join(problems)
        self.rejected.append(text)
        if pending is not None:
            pending.errors.append(text)
            pending.touch()
        log.warning("fake discord refused a body: %s", text)
        return error(400, 50035, text)

    def _new_message(self, pending: PendingInteraction, flags: int, guild_id: int | None):
        message = FakeMessage(
            id=snowflake(),
            channel_id=pending.channel_id,
            guild_id=guild_id,
            author=self.bot_user,
            flags=flags,
            webhook_id=self.application_id,
            interaction_user=pending.user,
            interaction_id=pending.id,
        )
        self.messages[message.id] = message
        return message

    def _edit(self, message: FakeMessage, body: dict[str, Any], uploaded: list[dict]) -> None:
        message.apply(body)
        message.attachments += uploaded
        message.flags &= ~LOADING
        message.edited_timestamp = iso_now()
        message.edits += 1

    async def _message_method(
        self,
        request: web.Request,
        message: FakeMessage | None,
        pending: PendingInteraction | None,
    ) -> web.StreamResponse:
        """GET, PATCH or DELETE one message; an interaction's (``pending``) is touched too."""
        if message is None or message.deleted:
            return error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(message.payload())
        if request.method == "PATCH":
            body, uploaded = await self._body(request)
            if problems := message_problems(body):
                return self._invalid(pending, problems)
            self._edit(message, body, uploaded)
            if pending is not None:
                pending.touch(finished=True)
            return json_response(message.payload())
        if request.method == "DELETE":
            message.deleted = True
            if pending is not None:
                pending.touch(finished=True)
            return web.Response(status=204)
        return error(405, 0, "405: Method Not Allowed")

    # plain REST --------------------------------------------------------------------
