"""A local fake of the MyAnimeList API v2 (aiohttp), for tests, demos and load tests.

It serves the endpoints anirec uses, with MAL's JSON shapes:

- ``GET /v2/users/{name}/animelist?fields=list_status&limit=..&offset=..&sort=..&nsfw=..`` →
  ``{"data": [{"node": {"id", "title", "main_picture"}, "list_status": {...}}],
  "paging": {"next": <absolute URL>, "previous": ...}}``. ``limit`` defaults to 100 and may
  be at most 1000 (else 400), ``list_status`` appears only when asked for in ``fields``,
  ``sort=list_updated_at|list_score|anime_title``, titles rated nsfw "black" are hidden unless
  ``nsfw=true``. Unknown user → 404, private list → 403, bad username → 400.
- ``GET /v2/anime/{id}?fields=...`` → ``{"id", "title", "main_picture", <asked fields>}``, or 404
  (``related_anime``: ``[{"node": {"id", "title"}, "relation_type", "relation_type_formatted"}]``;
  ``add_anime(..., related_anime={other_id: "sequel"})`` writes it).
- ``GET /v2/anime/season/{year}/{season}`` and ``GET /v2/anime/ranking?ranking_type=..``: bulk
  listings, 1–500 a page (:mod:`fakes.mal.listings`).

Every request needs a non-empty ``X-MAL-CLIENT-ID`` header (or exactly ``client_id`` when one
is given), else 401, as MAL does. Errors have MAL's body, ``{"message": "", "error": "..."}``.

In-process use (tests)::

    async with FakeMal.running(lists={"alice": [(1, 9), (5114, 10, "watching")]},
                               anime={1: {"title": "Cowboy Bebop"}}) as fake:
        fake.base_url                     # "http://127.0.0.1:PORT/v2"
        fake.add_user("bob", entries, private=True)
        fake.rate_limit(times=2, retry_after="0.1", match="/animelist")
        fake.requests                     # [RecordedRequest(method, path, query, headers, at)]

List entries given to ``lists``/``add_user`` may be ``(anime_id, score[, status])`` tuples,
objects with ``anime_id``/``score``/``status`` attributes (``ProfileEntry``, ``MalListEntry``)
or dicts with ``anime_id`` and any of ``status, score, num_episodes_watched, is_rewatching,
updated_at, title``. Usernames are case-insensitive, as on MAL.

Faults (each consumed by the next ``times`` requests whose path+query contains ``match``,
or by any request when ``match`` is None), in the order injected:
``rate_limit`` (429 + ``Retry-After``, seconds or an HTTP date), ``server_error`` (500/502/
503), ``slow`` (answers after ``delay`` s), ``truncated_json`` (200, body cut in half),
``malformed_json`` (200, an HTML page), ``without_data`` (200 without ``data``/``id``),
``throttle`` (403 "forbidden" on anything, as MAL does when it throttles), ``disconnect``
(connection closed without an answer). ``latency`` slows every request; ``clear_faults()``
drops the queue and ``pending_faults`` lists what no request has met yet.

As a process (demos, load tests), backed by a Kaggle-layout ``rating.csv`` (``user_id,
anime_id,rating``, −1 = unscored; users become ``user<ID>``, entries ``completed``) and
``anime.csv``::

    python -m fakes.mal --ratings rating.csv --anime anime.csv --port 8765 \\
        [--private user3,user7] [--latency 0.05] [--write-usernames names.txt]

It prints its base URL on the first line of stdout and serves until SIGINT/SIGTERM.

Modules: :mod:`~fakes.mal.server` (``FakeMal``, the HTTP side), :mod:`~fakes.mal.data` (lists
and anime), :mod:`~fakes.mal.faults` (the fault queue), :mod:`~fakes.mal.kaggle` (loading
Kaggle CSVs) and :mod:`~fakes.mal.cli` (``python -m fakes.mal``).
"""

from fakes.mal.data import STATUSES, MalData
from fakes.mal.faults import FAULT_KINDS, Fault, FaultInjection
from fakes.mal.server import DEFAULT_LIMIT, MAX_LIMIT, USERNAME_RE, FakeMal, RecordedRequest

__all__ = [
    "DEFAULT_LIMIT",
    "FAULT_KINDS",
    "MAX_LIMIT",
    "STATUSES",
    "USERNAME_RE",
    "FakeMal",
    "Fault",
    "FaultInjection",
    "MalData",
    "RecordedRequest",
]
