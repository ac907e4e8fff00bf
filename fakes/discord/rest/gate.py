"""Every REST request passes here: recorded, authorised (a bot token, or an interaction's own
token for callbacks and webhooks) and, if one was injected with ``fail``, answered by a fault.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from fakes.discord.rest.base import API_PREFIX, RestBase, error, json_response

TOKEN_AUTHORISED = (f"{API_PREFIX}/interactions/", f"{API_PREFIX}/webhooks/")


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


class RequestGate(RestBase):
    """The middleware (``_record``) and the fault injection (``fail``)."""

    requests: list[RequestRecord]
    faults: list[Fault]

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
