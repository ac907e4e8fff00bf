"""Application command sync: list, bulk overwrite, create, get, edit and delete, global or
per guild; bodies are held to Discord's command schema limits.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from fakes.discord.limits import command_problems, commands_problems
from fakes.discord.models import snowflake
from fakes.discord.rest.base import RestBase, json_response


class CommandRoutes(RestBase):
    """Handlers under ``/applications/{app_id}[/guilds/{guild_id}]/commands``."""

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
