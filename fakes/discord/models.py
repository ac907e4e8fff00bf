"""The fake Discord's world: users, guilds, channels, members, messages, attachments.

Each object renders the JSON payload real Discord sends for it (API v10), with the fields
discord.py 2.x reads; nothing here imports discord.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000
_counter = itertools.count()


def snowflake() -> int:
    """A fresh Discord snowflake: milliseconds since the Discord epoch, then a counter.

    Real snowflakes matter: discord.py derives ``created_at`` from them and uses message age
    to choose delete rate limits.
    """
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


class Permission:
    """Discord permission bits (the few the fake's callers need), to combine with ``|``."""

    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    USE_APPLICATION_COMMANDS = 1 << 31

    MEMBER = (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | USE_APPLICATION_COMMANDS
    )
    """What an ordinary member of a default server may do."""
    ALL = (1 << 50) - 1


def permission_value(permissions: Any) -> int:
    """An ``int`` from an int, a ``discord.Permissions`` (anything with ``.value``), or None."""
    if permissions is None:
        return Permission.MEMBER
    value = getattr(permissions, "value", permissions)
    if not isinstance(value, int):
        raise TypeError(f"permissions must be an int or have .value, got {permissions!r}")
    return value


@dataclass
class FakeUser:
    """A Discord user (or the bot's own user when ``bot`` is true)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "banner": None,
            "accent_color": None,
        }


@dataclass
class FakeChannel:
    """A guild text channel (type 0)."""

    id: int
    guild_id: int
    name: str
    position: int = 0

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
        }


@dataclass
class FakeMember:
    """A user's membership of a guild, with the permissions Discord resolves for them."""

    user: FakeUser
    guild_id: int
    permissions: int = Permission.MEMBER
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    def has(self, bits: int) -> bool:
        """Whether the member holds every bit of ``bits`` (administrators hold all)."""
        if self.permissions & Permission.ADMINISTRATOR:
            return True
        return self.permissions & bits == bits

    def payload(self, *, with_user: bool = True, with_permissions: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "roles": [],
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if with_permissions:
            data["permissions"] = str(self.permissions)
        return data


@dataclass
class FakeGuild:
    """A server: its channels (the first is where interactions come from) and members."""

    id: int
    name: str
    owner_id: int
    channels: list[FakeChannel] = field(default_factory=list)
    members: dict[int, FakeMember] = field(default_factory=dict)

    @property
    def default_channel(self) -> FakeChannel:
        return self.channels[0]

    def channel(self, channel_id: int) -> FakeChannel | None:
        return next((c for c in self.channels if c.id == channel_id), None)

    def payload(self) -> dict[str, Any]:
        """The full GUILD_CREATE payload."""
        everyone = {
            "id": str(self.id),
            "name": "@everyone",
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": 0,
            "permissions": str(Permission.MEMBER),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [everyone],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "nsfw_level": 0,
            "max_members": 500000,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in self.members.values()],
            "channels": [c.payload() for c in self.channels],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class FakeAttachment:
    """A file a user attached (e.g. to ``/import``); served by the fake's own CDN route."""

    id: int
    filename: str
    data: bytes
    content_type: str | None
    url: str

    @property
    def size(self) -> int:
        return len(self.data)

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "filename": self.filename,
            "size": self.size,
            "url": self.url,
            "proxy_url": self.url,
        }
        if self.content_type:
            data["content_type"] = self.content_type
        return data


EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class FakeMessage:
    """A message as the fake stores it; ``payload()`` is what REST and gateway return."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    webhook_id: int | None = None
    interaction_user: FakeUser | None = None
    interaction_id: int | None = None
    edited_timestamp: str | None = None
    deleted: bool = False
    edits: int = 0
    timestamp: str = field(default_factory=iso_now)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred reply that the bot has not filled in yet ("… is thinking")."""
        return bool(self.flags & LOADING)

    def apply(self, body: dict[str, Any]) -> None:
        """Apply a create/edit body (content, embeds, components, flags, attachments)."""
        if "content" in body:
            self.content = body["content"] or ""
        if "embeds" in body:
            self.embeds = list(body["embeds"] or [])
        if "components" in body:
            self.components = list(body["components"] or [])
        if "attachments" in body and body["attachments"] is not None:
            # Edits list the attachments to keep (by id) plus new uploads the caller adds.
            keep = {str(a.get("id")) for a in body["attachments"]}
            self.attachments = [a for a in self.attachments if str(a["id"]) in keep]

    def buttons(self) -> list[dict[str, Any]]:
        """Every button (type 2) in the message's action rows, in order."""
        return [c for c in iter_components(self.components) if c.get("type") == 2]

    def component(self, custom_id: str) -> dict[str, Any] | None:
        return next(
            (c for c in iter_components(self.components) if c.get("custom_id") == custom_id),
            None,
        )

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 20 if self.interaction_id else 0,
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": list(self.attachments),
            "embeds": list(self.embeds),
            "components": list(self.components),
            "pinned": False,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.interaction_id is not None and self.interaction_user is not None:
            data["interaction_metadata"] = {
                "id": str(self.interaction_id),
                "type": 2,
                "user": self.interaction_user.payload(),
                "authorizing_integration_owners": {},
            }
        return data

    def text(self) -> str:
        """Content plus every embed's visible text, for assertions that don't care where."""
        return "\n".join(filter(None, [self.content, *(embed_text(e) for e in self.embeds)]))


def iter_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten action rows (and other containers) into their leaf components."""
    out: list[dict[str, Any]] = []
    for component in components:
        children = component.get("components")
        if children:
            out.extend(iter_components(children))
        else:
            out.append(component)
        accessory = component.get("accessory")
        if accessory:
            out.append(accessory)
    return out


def embed_text(embed: dict[str, Any]) -> str:
    """The visible text of one embed payload: author, title, description, fields, footer."""
    parts = [
        (embed.get("author") or {}).get("name"),
        embed.get("title"),
        embed.get("description"),
    ]
    for fld in embed.get("fields") or []:
        parts.extend([fld.get("name"), fld.get("value")])
    parts.append((embed.get("footer") or {}).get("text"))
    return "\n".join(p for p in parts if p)
