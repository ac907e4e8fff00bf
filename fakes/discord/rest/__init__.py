"""The fake's REST API: what discord.py calls under ``/api/v10`` (and the attachment CDN).

Login (``/users/@me``, application info, ``/gateway/bot``), command sync, interaction
callbacks, the interaction webhooks (``@original``, followups), and a few plain reads and
channel messages. Responses carry exactly ``Content-Type: application/json``; bodies over
Discord's limits get Discord's 400 (:mod:`fakes.discord.limits`); ``fail`` injects
rate limits and server errors.

Modules: :mod:`~fakes.discord.rest.base` (JSON responses, shared state and helpers),
:mod:`~fakes.discord.rest.gate` (recording, auth, injected faults),
:mod:`~fakes.discord.rest.commands`, :mod:`~fakes.discord.rest.interactions`,
:mod:`~fakes.discord.rest.resources` (the handlers) and :mod:`~fakes.discord.rest.api`
(:class:`RestApi`, the routing table).
"""

from fakes.discord.rest.api import RestApi
from fakes.discord.rest.base import API_PREFIX, RestBase, error, json_response
from fakes.discord.rest.gate import TOKEN_AUTHORISED, Fault, RequestGate, RequestRecord

__all__ = [
    "API_PREFIX",
    "TOKEN_AUTHORISED",
    "Fault",
    "RequestGate",
    "RequestRecord",
    "RestApi",
    "RestBase",
    "error",
    "json_response",
]
