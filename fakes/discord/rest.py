"""The fake's REST API: what discord.py calls under ``/api/v10`` (and the attachment CDN).

Login (``/users/@me``, application info, ``/gateway/bot``), command sync, interaction
callbacks, the interaction webhooks (``@original``, followups), and a few plain reads and
channel messages. Responses carry exactly ``Content-Type: application/json``; bodies over
Discord's limits get Discord's 400 (:mod:`fakes.discord.limits`); ``fail`` injects
rate limits and server errors.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakes.discord.limits import (
    choices_problems,
    command_problems,
    commands_problems,
    message_problems,
)
from fakes.discord.models import (
    EPHEMERAL,
    LOADING,
    FakeAttachment,
    FakeChannel,
    FakeGuild,
    FakeMessage,
    FakeUser,
    iso_now,
    snowflake,
)
from fakes.discord.results import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    PendingInteraction,
)

if TYPE_CHECKING:
    import asyncio

    from fakes.discord.gateway import Gateway

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
TOKEN_AUTHORISED = (f"{API_PREFIX}/interactions/", f"{API_PREFIX}/webhooks/")


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


@dataclass
class Fault:
    """The next ``times`` REST requests matching ``method`` and ``fragment`` get ``status``."""

    fragment: str
    status: int
    times: int
    method: str | None
    retry_after: float


@dataclass
class RequestRecord:
    """One REST request the bot made (for tests that check what was called)."""

    method: str
    path: str
    status: int
    at: float


class RestApi:
    """REST handlers of :class:`~fakes.discord.server.FakeDiscord` (which holds the state)."""

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
    interactions: dict[str, PendingInteraction]
    requests: list[RequestRecord]
    unhandled: list[str]
    rejected: list[str]
    faults: list[Fault]
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

    def fail(
        self,
        fragment: str,
        status: int = 500,
        *,
        times: int = 1,
        method: str | None = None,
        retry_after: float = 0.05,
    ) -> None:
        """Make the next ``times`` REST requests whose path contains ``fragment`` (and whose
        method is ``method``, if given) fail with ``status``: 429 is a real rate limit (JSON
        ``retry_after``, the ``Via`` header discord.py checks), 5xx a server error."""
        self.faults.append(Fault(fragment, status, times, method, retry_after))

    def _take_fault(self, request: web.Request) -> Fault | None:
        for fault in self.faults:
            if fault.fragment in request.path and fault.method in (None, request.method):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _fault_response(self, fault: Fault) -> web.Response:
        if fault.status != 429:
            return error(fault.status, 0, f"{fault.status}: injected by the fake")
        body = {"message": "You are being rate limited.", "retry_after": fault.retry_after}
        response = json_response({**body, "global": False}, status=429)
        response.headers.update(
            {
                "Via": "1.1 google",
                "Retry-After": str(max(1, round(fault.retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(fault.retry_after),
                "X-RateLimit-Bucket": "fake-bucket",
                "X-RateLimit-Scope": "user",
            }
        )
        return response

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # Interaction callbacks and webhooks are authorised by their token, not a header.
        by_token = request.path.startswith(TOKEN_AUTHORISED)
        authorised = self.token_ok(request.headers.get("Authorization"))
        if request.path.startswith(API_PREFIX) and not by_token and not authorised:
            self.requests.append(
                RequestRecord(request.method, request.path, 401, time.perf_counter())
            )
            return error(401, 0, "401: Unauthorized")
        response: web.StreamResponse
        fault = self._take_fault(request) if request.path.startswith(API_PREFIX) else None
        if fault is not None:
            response = self._fault_response(fault)
            self.requests.append(
                RequestRecord(request.method, request.path, response.status, time.perf_counter())
            )
            return response
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = error(exc.status, 0, f"{exc.status}: {exc.reason}")
        self.requests.append(
            RequestRecord(request.method, request.path, response.status, time.perf_counter())
        )
        return response

    def _routes(self, app: web.Application) -> None:
        api = API_PREFIX
        r = app.router
        r.add_get("/gateway", self.gateway.handle)
        r.add_get("/cdn/attachments/{id}/{filename}", self._cdn)
        r.add_get(f"{api}/users/@me", self._me)
        r.add_get(f"{api}/oauth2/applications/@me", self._application)
        r.add_get(f"{api}/applications/@me", self._application)
        r.add_get(f"{api}/gateway", self._get_gateway)
        r.add_get(f"{api}/gateway/bot", self._get_gateway)
        for prefix in (
            f"{api}/applications/{{app_id}}/commands",
            f"{api}/applications/{{app_id}}/guilds/{{guild_id}}/commands",
        ):
            r.add_get(prefix, self._list_commands)
            r.add_put(prefix, self._put_commands)
            r.add_post(prefix, self._post_command)
            r.add_get(prefix + "/{command_id}", self._get_command)
            r.add_patch(prefix + "/{command_id}", self._patch_command)
            r.add_delete(prefix + "/{command_id}", self._delete_command)
        r.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self._callback)
        r.add_post(f"{api}/webhooks/{{app_id}}/{{token}}", self._followup)
        r.add_route(
            "*", f"{api}/webhooks/{{app_id}}/{{token}}/messages/{{message_id}}", self._webhook_msg
        )
        r.add_get(f"{api}/users/{{user_id}}", self._get_user)
        r.add_post(f"{api}/users/@me/channels", self._create_dm)
        r.add_get(f"{api}/guilds/{{guild_id}}", self._get_guild)
        r.add_get(f"{api}/guilds/{{guild_id}}/members/{{user_id}}", self._get_member)
        r.add_get(f"{api}/guilds/{{guild_id}}/channels", self._get_channels)
        r.add_get(f"{api}/channels/{{channel_id}}", self._get_channel)
        r.add_post(f"{api}/channels/{{channel_id}}/messages", self._channel_send)
        r.add_route(
            "*", f"{api}/channels/{{channel_id}}/messages/{{message_id}}", self._channel_msg
        )
        r.add_post(f"{api}/channels/{{channel_id}}/typing", self._no_content)
        r.add_route("*", "/{tail:.*}", self._unhandled)

    async def _unhandled(self, request: web.Request) -> web.Response:
        self.unhandled.append(f"{request.method} {request.path}")
        log.warning("fake discord: unhandled %s %s", request.method, request.path)
        return error(404, 0, "404: Not Found")

    async def _no_content(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def _cdn(self, request: web.Request) -> web.Response:
        attachment = self.attachments.get(int(request.match_info["id"]))
        if attachment is None or attachment.filename != request.match_info["filename"]:
            return web.Response(status=404, text="not found")
        return web.Response(
            body=attachment.data,
            headers={"Content-Type": attachment.content_type or "application/octet-stream"},
        )

    async def _me(self, request: web.Request) -> web.Response:
        return json_response({**self.bot_user.payload(), "verified": True, "mfa_enabled": False})

    async def _application(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "",
                "summary": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "bot": self.bot_user.payload(),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # commands -----------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        if int(request.match_info["app_id"]) != self.application_id:
            raise web.HTTPNotFound()
        guild_id = request.match_info.get("guild_id")
        return int(guild_id) if guild_id else None

    def _stored_command(self, scope: int | None, body: dict[str, Any]) -> dict[str, Any]:
        old = self.commands.get(scope, {}).get(body["name"])
        command = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            **body,
            "id": old["id"] if old else str(snowflake()),
            "application_id": str(self.application_id),
            "version": str(snowflake()),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    def _commands_updated(self) -> None:
        self.command_syncs += 1
        self._commands_changed.set()

    async def _list_commands(self, request: web.Request) -> web.Response:
        return json_response(list(self.commands.get(self._scope(request), {}).values()))

    async def _put_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        body = await request.json()
        if problems := commands_problems(body):
            return self._invalid(None, problems)
        commands = [self._stored_command(scope, c) for c in body]
        self.commands[scope] = {c["name"]: c for c in commands}
        self._commands_updated()
        return json_response(commands)

    async def _post_command(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        body = await request.json()
        if problems := command_problems(body):
            return self._invalid(None, problems)
        command = self._stored_command(scope, body)
        self.commands.setdefault(scope, {})[command["name"]] = command
        self._commands_updated()
        return json_response(command, status=201)

    def _find_command(self, request: web.Request) -> tuple[int | None, dict[str, Any]]:
        scope = self._scope(request)
        for command in self.commands.get(scope, {}).values():
            if command["id"] == request.match_info["command_id"]:
                return scope, command
        raise web.HTTPNotFound()

    async def _get_command(self, request: web.Request) -> web.Response:
        return json_response(self._find_command(request)[1])

    async def _patch_command(self, request: web.Request) -> web.Response:
        _, command = self._find_command(request)
        command.update(await request.json())
        self._commands_updated()
        return json_response(command)

    async def _delete_command(self, request: web.Request) -> web.Response:
        scope, command = self._find_command(request)
        del self.commands[scope][command["name"]]
        self._commands_updated()
        return web.Response(status=204)

    # interaction responses -----------------------------------------------------------

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

    def _pending(self, token: str) -> PendingInteraction:
        pending = self.interactions.get(token)
        if pending is None:
            raise web.HTTPNotFound()
        return pending

    async def _callback(self, request: web.Request) -> web.Response:
        pending = self.interactions.get(request.match_info["token"])
        if pending is None or str(pending.id) != request.match_info["iid"]:
            return error(404, 10062, "Unknown interaction")
        if time.perf_counter() > pending.deadline:
            return error(404, 10062, "Unknown interaction")  # Discord's 3-second rule
        if pending.callback_type is not None:
            return error(400, 40060, "Interaction has already been acknowledged.")
        body, uploaded = await self._body(request)
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        if kind in (CHANNEL_MESSAGE, UPDATE_MESSAGE):
            problems = message_problems(data)
        elif kind == AUTOCOMPLETE_RESULT:
            problems = choices_problems(data.get("choices") or [])
        else:
            problems = []
        if problems:
            return self._invalid(pending, problems)
        resource: dict[str, Any] = {"type": kind}
        guild_id = pending.guild.id if pending.guild else None
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE):
            flags = int(data.get("flags") or 0) & EPHEMERAL
            message = self._new_message(pending, flags | (LOADING if kind == 5 else 0), guild_id)
            message.apply(data)
            message.attachments += uploaded
            pending.original = message
            resource["message"] = message.payload()
        elif kind in (UPDATE_MESSAGE, DEFERRED_UPDATE_MESSAGE):
            if pending.clicked is None:
                return error(400, 50035, "Invalid Form Body: not a component interaction")
            pending.original = pending.clicked
            if kind == UPDATE_MESSAGE:
                self._edit(pending.clicked, data, uploaded)
                resource["message"] = pending.clicked.payload()
        elif kind not in (AUTOCOMPLETE_RESULT, MODAL):
            return error(400, 50035, f"Invalid Form Body: callback type {kind}")
        pending.callback_type = kind
        pending.callback_data = data
        pending.callback_at = time.perf_counter()
        pending.touch(finished=kind not in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE))
        if request.query.get("with_response") not in ("1", "true", "True"):
            return web.Response(status=204)
        interaction = {
            "id": str(pending.id),
            "type": pending.type,
            "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
            "response_message_ephemeral": bool(int(data.get("flags") or 0) & EPHEMERAL),
        }
        if pending.original is not None:
            interaction["response_message_id"] = str(pending.original.id)
        return json_response(
            {"interaction": interaction, "resource": resource if "message" in resource else None}
        )

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

    def _webhook_interaction(self, request: web.Request) -> PendingInteraction | None:
        """The answered interaction a webhook URL names (None: Discord's "Unknown Webhook")."""
        if int(request.match_info["app_id"]) != self.application_id:
            return None
        pending = self.interactions.get(request.match_info["token"])
        if pending is None or pending.callback_type is None:
            return None
        return pending

    async def _followup(self, request: web.Request) -> web.Response:
        pending = self._webhook_interaction(request)
        if pending is None:
            return error(404, 10015, "Unknown Webhook")
        body, uploaded = await self._body(request)
        if problems := message_problems(body):
            return self._invalid(pending, problems)
        original = pending.original
        if pending.callback_type == DEFERRED_CHANNEL_MESSAGE and original and original.loading:
            # The first followup after a "thinking" defer fills in the deferred message.
            self._edit(original, body, uploaded)
            pending.touch(finished=True)
            return json_response(original.payload())
        flags = int(body.get("flags") or 0) & EPHEMERAL
        message = self._new_message(pending, flags, pending.guild.id if pending.guild else None)
        message.apply(body)
        message.attachments += uploaded
        pending.followups.append(message)
        pending.touch(finished=True)
        return json_response(message.payload())

    async def _webhook_msg(self, request: web.Request) -> web.StreamResponse:
        pending = self._webhook_interaction(request)
        if pending is None:
            return error(404, 10015, "Unknown Webhook")
        message_id = request.match_info["message_id"]
        if message_id == "@original":
            message = pending.original
        else:
            message = next((m for m in pending.followups if str(m.id) == message_id), None)
            if message is None and pending.original and str(pending.original.id) == message_id:
                message = pending.original
        return await self._message_method(request, message, pending)

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

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(int(request.match_info["user_id"]))
        if user is None:
            return error(404, 10013, "Unknown User")
        return json_response(user.payload())

    async def _create_dm(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.users.get(int(body.get("recipient_id", 0)))
        if user is None:
            return error(404, 10013, "Unknown User")
        return json_response(
            {
                "id": str(user.id + 1),
                "type": 1,
                "recipients": [user.payload()],
                "last_message_id": None,
            }
        )

    def _guild(self, request: web.Request) -> FakeGuild:
        guild = self.guilds.get(int(request.match_info["guild_id"]))
        if guild is None:
            raise web.HTTPNotFound()
        return guild

    async def _get_guild(self, request: web.Request) -> web.Response:
        return json_response(self._guild(request).payload())

    async def _get_member(self, request: web.Request) -> web.Response:
        member = self._guild(request).members.get(int(request.match_info["user_id"]))
        if member is None:
            return error(404, 10007, "Unknown Member")
        return json_response(member.payload())

    async def _get_channels(self, request: web.Request) -> web.Response:
        return json_response([c.payload() for c in self._guild(request).channels])

    def _channel(self, request: web.Request) -> FakeChannel:
        channel_id = int(request.match_info["channel_id"])
        for guild in self.guilds.values():
            channel = guild.channel(channel_id)
            if channel is not None:
                return channel
        raise web.HTTPNotFound()

    async def _get_channel(self, request: web.Request) -> web.Response:
        return json_response(self._channel(request).payload())

    async def _channel_send(self, request: web.Request) -> web.Response:
        channel = self._channel(request)
        body, uploaded = await self._body(request)
        if problems := message_problems(body):
            return self._invalid(None, problems)
        message = FakeMessage(snowflake(), channel.id, channel.guild_id, self.bot_user)
        message.apply(body)
        message.attachments += uploaded
        self.messages[message.id] = message
        return json_response(message.payload())

    async def _channel_msg(self, request: web.Request) -> web.StreamResponse:
        self._channel(request)
        message = self.messages.get(int(request.match_info["message_id"]))
        return await self._message_method(request, message, None)
