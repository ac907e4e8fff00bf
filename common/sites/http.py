"""The request loop AniList's and Kitsu's clients share: one rate limiter per site, retries
with backoff and jitter on 429, 5xx, timeouts, connection errors and unreadable 200s, and the
site's own rate-limit headers honoured.

- ``Retry-After`` (429) pauses every request to that site (the limit is per IP, not per request).
- ``X-RateLimit-Remaining: 0`` pauses the site until ``X-RateLimit-Reset`` (a Unix time), else
  for ``Retry-After`` or a minute, *before* a 429 happens.
- ``X-RateLimit-Limit`` (requests per minute) retunes the spacing: AniList documents 90 a minute
  but serves 30 while "degraded"; the spacing follows what the site says, never faster than
  configured (a limiter configured off stays off and relies on the two pauses above).

Other statuses (4xx) come back to the caller with their JSON body, to be read as the site's
own errors (GraphQL ``errors``, JSON:API ``errors``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from common.mal.client import parse_retry_after
from common.mal.ratelimit import RateLimiter
from common.session import OwnedSession
from common.sites.errors import SiteError, SiteInvalidResponse, SiteRateLimited, SiteUnavailable

log = logging.getLogger(__name__)
DEFAULT_PAUSE = 60.0  # AniList's documented timeout after the limit is hit


class SiteLimiter(RateLimiter):
    """A :class:`RateLimiter` whose spacing follows the site's ``X-RateLimit-Limit``."""

    def __init__(self, requests_per_second: float, max_concurrency: int = 2) -> None:
        super().__init__(requests_per_second, max_concurrency)
        self.configured_interval = self._interval

    def retune(self, per_minute: float) -> None:
        """Space requests by the site's announced limit, never faster than configured."""
        if self.configured_interval <= 0 or per_minute <= 0:
            return
        self._interval = max(self.configured_interval, 60.0 / per_minute)
        self.requests_per_second = 1.0 / self._interval


@dataclass(frozen=True, slots=True)
class Answer:
    """A non-retried answer: its status and JSON body (``None`` when the body is not JSON)."""

    status: int
    payload: Any


def _number(headers: CIMultiDictProxy[str], key: str) -> float | None:
    try:
        return float(headers[key])
    except (KeyError, ValueError):
        return None


class SiteHttp:
    """Send JSON requests to one site through its limiter, retrying what may pass."""

    def __init__(
        self,
        site: str,
        session: aiohttp.ClientSession | None,
        limiter: SiteLimiter,
        *,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_max: float = 120.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.site = site
        self.limiter = limiter
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.headers = headers or {}
        self.requests = 0
        self._session = OwnedSession(session)

    async def close(self) -> None:
        await self._session.close()

    def _honour_headers(self, headers: CIMultiDictProxy[str], retry_after: float | None) -> None:
        limit = _number(headers, "X-RateLimit-Limit")
        if limit is not None:
            self.limiter.retune(limit)
        if _number(headers, "X-RateLimit-Remaining") == 0:
            reset = _number(headers, "X-RateLimit-Reset")
            if reset is not None:
                pause = max(reset - time.time(), 0.0)
            else:
                pause = retry_after if retry_after is not None else DEFAULT_PAUSE
            self.limiter.defer(min(pause, self.retry_after_max))

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2**attempt) * random.uniform(0.5, 1.0)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Answer:
        """Send one request (retried as described above); a 200's JSON, or the 4xx answer."""
        session = self._session.get()
        path = url.split("?", 1)[0]
        failure: SiteError = SiteUnavailable(self.site, "no attempt made")
        for attempt in range(self.max_retries + 1):
            retry_after: float | None = None
            status, raw = 0, b""
            async with self.limiter.slot():
                self.requests += 1
                try:
                    async with session.request(
                        method,
                        url,
                        params=params,
                        json=body,
                        headers=self.headers,
                        timeout=self.timeout,
                    ) as response:
                        status = response.status
                        retry_after = parse_retry_after(response.headers.get("Retry-After"))
                        self._honour_headers(response.headers, retry_after)
                        raw = await response.read()
                except TimeoutError:
                    failure = SiteUnavailable(self.site, f"timeout on {method} {path}")
                except aiohttp.ClientError as exc:
                    failure = SiteUnavailable(self.site, f"{type(exc).__name__} on {method} {path}")
            payload: Any = None
            if status:
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
            if status == 200:
                if isinstance(payload, dict):
                    return Answer(status, payload)
                failure = SiteInvalidResponse(self.site, f"200 without a JSON object: {path}")
            elif status == 429:
                failure = SiteRateLimited(self.site, f"429 on {path}", retry_after=retry_after)
            elif status >= 500:
                failure = SiteUnavailable(self.site, f"HTTP {status} on {method} {path}")
            elif status:
                return Answer(status, payload)
            if attempt == self.max_retries:
                break
            delay = self._backoff(attempt)
            if retry_after is not None:
                delay = retry_after if status == 429 else max(retry_after, delay)
            delay = min(delay, self.retry_after_max)
            if status == 429:
                self.limiter.defer(delay)
            log.warning(
                "%s %s %s: %s; retry %d/%d in %.2fs",
                self.site,
                method,
                path,
                failure,
                attempt + 1,
                self.max_retries,
                delay,
            )
            await asyncio.sleep(delay)
        raise failure
