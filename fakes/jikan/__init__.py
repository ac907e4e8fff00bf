"""A local fake of the Jikan v4 API (aiohttp) for tests: the four endpoints ``python -m training
discover`` uses, with Jikan's JSON shapes, pagination and errors.

- ``GET /v4/users?q=&page=`` → users whose name contains ``q`` (case-insensitive), 20 a page
- ``GET /v4/anime/{id}/userupdates?page=`` → the anime's recent updaters, 75 a page; an
  unknown anime → 404
- ``GET /v4/random/users`` → one user, drawn with the fake's seeded generator
- ``GET /v4/top/anime?filter=bypopularity&page=`` → ``top`` (default: the anime given), 25 a page

Pages are ``{"pagination": {"last_visible_page", "has_next_page"}, "data": [...]}``; a page past
the last is an empty ``data`` (as Jikan answers). Errors carry Jikan's body ``{"status", "type",
"message", "error"}``: 404 ``BadResponseException`` "Resource does not exist", 400 for a bad
``page``, and the injected faults: ``rate_limit`` (429 ``RateLimitException``, ``Retry-After``
optional), ``server_error`` (500/503), ``malformed_json`` (200, an HTML page), ``without_data``
(200 ``{}``). Each fault is consumed by the next ``times`` requests whose path contains
``match`` (any request when ``match`` is None). ``requests`` records ``(path, query, at)``.

In-process use::

    async with FakeJikan.running(users=["alice", "bob"], updates={1: ["carol"]}) as fake:
        fake.base_url                         # "http://127.0.0.1:PORT/v4"
        fake.inject("rate_limit", times=2, retry_after="0.1")
"""

from fakes.jikan.server import FakeJikan, JikanRequest

__all__ = ["FakeJikan", "JikanRequest"]
