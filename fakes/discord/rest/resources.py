"""Login (``/users/@me``, application info, ``/gateway/bot``), the attachment CDN and a few
plain reads and channel messages (users, DMs, guilds, members, channels).
"""

from __future__ import annotations

from aiohttp import web

from fakes.discord.limits import message_problems
from fakes.discord.models import FakeChannel, FakeGuild, FakeMessage, snowflake
from fakes.discord.rest.base import RestBase, error, json_response


class ResourceRoutes(RestBase):
    """Login, CDN and plain REST handlers."""

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
                "shards": self.gateway.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 0,
                    "max_concurrency": self.max_concurrency,
                },
            }
        )

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
