"""What the bot did with one interaction: its callback, the original response, followups.

:class:`PendingInteraction` is the fake's bookkeeping while the bot works;
:class:`InteractionResult` is the read-only view that ``slash``/``click`` return.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

from fakes.discord.models import EPHEMERAL, FakeGuild, FakeMessage, FakeUser

# Interaction callback types (Discord API "Interaction Callback Type").
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

CALLBACK_NAMES = {
    PONG: "pong",
    CHANNEL_MESSAGE: "message",
    DEFERRED_CHANNEL_MESSAGE: "defer",
    DEFERRED_UPDATE_MESSAGE: "deferred update",
    UPDATE_MESSAGE: "update message",
    AUTOCOMPLETE_RESULT: "autocomplete",
    MODAL: "modal",
}


class InteractionTimeout(AssertionError):
    """The bot did not acknowledge in time, or deferred and never finished."""


@dataclass
class PendingInteraction:
    """The fake's record of one interaction it sent, updated as the bot's requests arrive."""

    id: int
    token: str
    type: int
    user: FakeUser
    guild: FakeGuild | None
    channel_id: int
    name: str
    sent_at: float = field(default_factory=time.perf_counter)
    deadline: float = 0.0
    released_at: float | None = None  # held while its shard re-identified, delivered then
    callback_type: int | None = None
    callback_data: dict[str, Any] | None = None
    callback_at: float | None = None
    original: FakeMessage | None = None
    followups: list[FakeMessage] = field(default_factory=list)
    clicked: FakeMessage | None = None
    last_activity: float = field(default_factory=time.perf_counter)
    finished_work: bool = False
    errors: list[str] = field(default_factory=list)  # requests the fake refused
    activity: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self, *, finished: bool = False) -> None:
        self.last_activity = time.perf_counter()
        if finished:
            self.finished_work = True
        self.activity.set()

    def release(self, ack_deadline: float) -> None:
        """Delivered late (its shard was re-identifying): Discord's ack window starts now."""
        self.released_at = time.perf_counter()
        self.deadline = self.released_at + ack_deadline
        self.activity.set()

    @property
    def deferred(self) -> bool:
        return self.callback_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    async def wait_done(self, *, ack_within: float, within: float, settle: float) -> None:
        """Wait for the callback, then for deferred work, then for ``settle`` s of quiet."""
        end = self.sent_at + within
        while self.callback_type is None:
            acked_by = (self.released_at or self.sent_at) + ack_within
            remaining = min(acked_by, end) - time.perf_counter()
            if remaining <= 0:
                raise InteractionTimeout(
                    f"{self.name}: no interaction callback within {ack_within:.1f} s"
                    + self._refused()
                )
            await self._wait_activity(remaining)
        if self.deferred:
            while not self.finished_work:
                remaining = end - time.perf_counter()
                if remaining <= 0:
                    raise InteractionTimeout(
                        f"{self.name}: deferred ({CALLBACK_NAMES[self.callback_type]}) "
                        f"but no edit or followup within {within:.1f} s" + self._refused()
                    )
                await self._wait_activity(remaining)
        while True:
            quiet_until = self.last_activity + settle
            now = time.perf_counter()
            if now >= quiet_until or now >= end:
                return
            await self._wait_activity(min(quiet_until, end) - now)

    def _refused(self) -> str:
        return "".join(f"; the fake refused: {e}" for e in self.errors)

    async def _wait_activity(self, seconds: float) -> None:
        self.activity.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.activity.wait(), timeout=max(seconds, 0.0))


@dataclass(frozen=True)
class InteractionResult:
    """The bot's answer to one interaction, as a member would see it.

    ``message`` is the original response (for a button that updated its message: that message),
    in its latest state; ``messages`` adds the followups. ``content``/``embeds``/``components``/
    ``ephemeral`` are the original response's. ``ack_s`` is the time from dispatch to the
    callback; ``elapsed_s`` to the end of the bot's work.
    """

    interaction_id: int
    name: str
    callback_type: int | None
    callback_data: dict[str, Any] | None
    message: FakeMessage | None
    followups: tuple[FakeMessage, ...]
    ack_s: float | None
    elapsed_s: float
    errors: tuple[str, ...] = ()  # the bot's requests the fake refused, as Discord would

    @classmethod
    def of(cls, pending: PendingInteraction) -> InteractionResult:
        return cls(
            interaction_id=pending.id,
            name=pending.name,
            callback_type=pending.callback_type,
            callback_data=pending.callback_data,
            message=pending.original,
            followups=tuple(pending.followups),
            ack_s=None if pending.callback_at is None else pending.callback_at - pending.sent_at,
            elapsed_s=pending.last_activity - pending.sent_at,
            errors=tuple(pending.errors),
        )

    @property
    def callback(self) -> str:
        """The callback type's name: message, defer, update message, autocomplete, modal."""
        return CALLBACK_NAMES.get(self.callback_type or 0, "none")

    @property
    def deferred(self) -> bool:
        return self.callback_type in (DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE)

    @property
    def messages(self) -> list[FakeMessage]:
        """The original response (if any, and not deleted) followed by every followup."""
        out = [self.message] if self.message is not None and not self.message.deleted else []
        return out + [m for m in self.followups if not m.deleted]

    @property
    def content(self) -> str:
        return self.message.content if self.message is not None else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.message.embeds if self.message is not None else []

    @property
    def embed(self) -> dict[str, Any] | None:
        return self.embeds[0] if self.embeds else None

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.message.components if self.message is not None else []

    @property
    def ephemeral(self) -> bool:
        if self.message is not None:
            return self.message.ephemeral
        data = self.callback_data or {}
        return bool(int(data.get("flags") or 0) & EPHEMERAL)

    def buttons(self) -> list[dict[str, Any]]:
        return self.message.buttons() if self.message is not None else []

    def button(self, label: str) -> dict[str, Any]:
        """The first button whose label contains ``label`` (case-insensitive)."""
        for button in self.buttons():
            if label.lower() in (button.get("label") or "").lower():
                return button
        raise AssertionError(f"no button labelled {label!r} in {self.buttons()}")

    @property
    def text(self) -> str:
        """Every visible text of every message (content and embeds), one string."""
        return "\n".join(m.text() for m in self.messages)

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices ({"name", "value"}), for an autocomplete interaction."""
        return list((self.callback_data or {}).get("choices") or [])

    @property
    def modal(self) -> dict[str, Any] | None:
        return self.callback_data if self.callback_type == MODAL else None

    def __str__(self) -> str:
        lines = [f"/{self.name} → {self.callback}" + (" (ephemeral)" if self.ephemeral else "")]
        for message in self.messages:
            lines.append(message.text())
            labels = [b.get("label") or b.get("custom_id") for b in message.buttons()]
            if labels:
                lines.append("[" + "] [".join(str(label) for label in labels) + "]")
        return "\n".join(lines)
