"""What can go wrong talking to Jikan (api.jikan.moe, an unofficial MyAnimeList API).

::

    JikanError
    ├── JikanNotFound         404: no such anime, user or page
    ├── JikanRateLimited      429 until the retries ran out
    ├── JikanUnavailable      5xx, timeouts, connection errors after the retries
    └── JikanInvalidResponse  a 200 that is not the JSON Jikan documents, after the retries

Jikan's errors carry a JSON body ``{"status", "type", "message", "error"}``; its ``message`` and
``type`` are kept in the detail (``str(error)``), which never holds a secret (Jikan needs none).
"""

from __future__ import annotations


class JikanError(Exception):
    """Base class."""


class JikanNotFound(JikanError):
    """Jikan answered 404."""


class JikanRateLimited(JikanError):
    """Jikan kept answering 429 until the retries ran out."""


class JikanUnavailable(JikanError):
    """5xx, timeouts or connection errors until the retries ran out."""


class JikanInvalidResponse(JikanError):
    """A 200 whose body is not the JSON Jikan documents (after the retries)."""
