"""The REST API as one object: every group of handlers and the routing table."""

from __future__ import annotations

from aiohttp import web

from fakes.discord.rest.base import API_PREFIX, error, log
from fakes.discord.rest.commands import CommandRoutes
from fakes.discord.rest.gate import RequestGate
from fakes.discord.rest.interactions import InteractionRoutes
from fakes.discord.rest.resources import ResourceRoutes


class RestApi(RequestGate, CommandRoutes, InteractionRoutes, ResourceRoutes):
    """REST handlers of :class:`~fakes.discord.server.FakeDiscord` (which holds the state)."""

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
