"""Answering interactions: the callback (reply, defer, update, autocomplete choices, modal)
and the interaction webhooks (``@original``, followups), with Discord's 3-second rule.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from fakes.discord.limits import choices_problems, message_problems
from fakes.discord.models import EPHEMERAL, LOADING
from fakes.discord.rest.base import RestBase, error, json_response
from fakes.discord.results import (
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    MODAL,
    UPDATE_MESSAGE,
    PendingInteraction,
)


class InteractionRoutes(RestBase):
    """Handlers under ``/interactions/{id}/{token}/callback`` and ``/webhooks/{app_id}/{token}``."""

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
