"""Turning ``slash(..., count=5)`` keyword arguments into interaction options.

The fake reads the schema the bot registered (``PUT /applications/{id}/commands``) and checks
values the way the Discord client would before sending: unknown or missing required options,
wrong types, values outside choices or min/max are refused with :class:`OptionError` (a real
member could not send them), so a test cannot pass what Discord would never deliver.
"""

from __future__ import annotations

from typing import Any

from fakes.discord.models import FakeAttachment, FakeGuild, FakeMember, FakeUser

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


class OptionError(ValueError):
    """Options that the Discord client would not let a member send."""


def resolve_path(command: dict[str, Any], path: list[str]) -> tuple[list[dict], dict[str, Any]]:
    """Walk ``path`` (subcommand group / subcommand names) from a command.

    Returns the option wrappers to nest the leaf options into, and the leaf schema (the command
    itself or its subcommand) whose ``options`` are the parameters.
    """
    wrappers: list[dict] = []
    node = command
    for name in path:
        sub = next(
            (
                o
                for o in node.get("options") or []
                if o["name"] == name and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ),
            None,
        )
        if sub is None:
            raise OptionError(f"/{command['name']} has no subcommand {name!r}")
        wrappers.append({"type": sub["type"], "name": name})
        node = sub
    return wrappers, node


def nest(wrappers: list[dict], options: list[dict]) -> list[dict]:
    """Put leaf options inside their subcommand wrappers."""
    for wrapper in reversed(wrappers):
        options = [{**wrapper, "options": options}]
    return options


def build_options(
    schema: dict[str, Any],
    values: dict[str, Any],
    *,
    guild: FakeGuild | None,
    focused: str | None = None,
    check_required: bool = True,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Options and ``resolved`` data for ``values`` under ``schema`` (a command or subcommand).

    ``focused`` names the option being typed (autocomplete): its value is sent as the raw
    string the member has typed so far, and required options may still be missing.
    """
    params = {o["name"]: o for o in schema.get("options") or []}
    unknown = set(values) - set(params)
    if unknown:
        raise OptionError(
            f"/{schema['name']} has no option(s) {sorted(unknown)}; it has {sorted(params)}"
        )
    if check_required and focused is None:
        missing = [n for n, o in params.items() if o.get("required") and n not in values]
        if missing:
            raise OptionError(f"/{schema['name']} requires {missing}")
    options: list[dict[str, Any]] = []
    resolved: dict[str, dict[str, Any]] = {}
    for name, spec in params.items():  # Discord sends options in schema order
        if name not in values:
            continue
        value = values[name]
        if name == focused:
            options.append(
                {"type": spec["type"], "name": name, "value": str(value), "focused": True}
            )
            continue
        options.append(
            {"type": spec["type"], "name": name, "value": _convert(spec, value, guild, resolved)}
        )
    return options, resolved


def _convert(
    spec: dict[str, Any], value: Any, guild: FakeGuild | None, resolved: dict[str, dict]
) -> Any:
    kind, name = spec["type"], spec["name"]
    if kind == STRING:
        if not isinstance(value, str):
            raise OptionError(f"option {name!r} takes a string, got {value!r}")
        value = _choice(spec, value)
        if len(value) < spec.get("min_length", 0) or len(value) > spec.get("max_length", 6000):
            raise OptionError(f"option {name!r}: length outside the allowed range")
        return value
    if kind in (INTEGER, NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OptionError(f"option {name!r} takes a number, got {value!r}")
        if kind == INTEGER and not float(value).is_integer():
            raise OptionError(f"option {name!r} takes an integer, got {value!r}")
        value = _choice(spec, int(value) if kind == INTEGER else float(value))
        low, high = spec.get("min_value"), spec.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise OptionError(f"option {name!r}={value} is outside [{low}, {high}]")
        return value
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise OptionError(f"option {name!r} takes true/false, got {value!r}")
        return value
    if kind in (USER, MENTIONABLE):
        user = value.user if isinstance(value, FakeMember) else value
        if not isinstance(user, FakeUser):
            raise OptionError(f"option {name!r} takes a FakeUser or FakeMember, got {value!r}")
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = guild.members.get(user.id) if guild is not None else None
        if member is not None:
            resolved.setdefault("members", {})[str(user.id)] = member.payload(
                with_user=False, with_permissions=True
            )
        return str(user.id)
    if kind == ATTACHMENT:
        if not isinstance(value, FakeAttachment):
            raise OptionError(
                f"option {name!r} takes a FakeAttachment (fake.attachment(...)), got {value!r}"
            )
        resolved.setdefault("attachments", {})[str(value.id)] = value.payload()
        return str(value.id)
    raise OptionError(f"option {name!r}: type {kind} is not supported by the fake")


def _choice(spec: dict[str, Any], value: Any) -> Any:
    choices = spec.get("choices")
    if not choices:
        return value
    for choice in choices:
        if value == choice["value"] or value == choice["name"]:
            return choice["value"]
    allowed = [c["value"] for c in choices]
    raise OptionError(f"option {spec['name']!r}={value!r} is not one of {allowed}")
