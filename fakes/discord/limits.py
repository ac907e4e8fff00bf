"""Discord's documented size limits on what a bot sends; the fake refuses what Discord would.

Real Discord answers an oversized message with 400 "Invalid Form Body" (code 50035) and the
member sees "The application did not respond"; the fake does the same, so a reply that only
works against a lenient fake cannot pass the end-to-end tests.
"""

from __future__ import annotations

import re
from typing import Any

CONTENT = 2000
EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
ACTION_ROWS = 5
ROW_ITEMS = 5
CUSTOM_ID = 100
BUTTON_LABEL = 80
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100


def message_problems(body: dict[str, Any]) -> list[str]:
    """Every way ``body`` (a message create/edit) breaks Discord's limits; empty when fine."""
    problems: list[str] = []
    content = body.get("content")
    if content is not None and len(content) > CONTENT:
        problems.append(f"content: {len(content)} > {CONTENT} characters")
    embeds = body.get("embeds") or []
    if len(embeds) > EMBEDS:
        problems.append(f"embeds: {len(embeds)} > {EMBEDS}")
    for i, embed in enumerate(embeds):
        problems.extend(f"embeds.{i}.{p}" for p in embed_problems(embed))
    rows = body.get("components") or []
    if len(rows) > ACTION_ROWS:
        problems.append(f"components: {len(rows)} > {ACTION_ROWS} rows")
    for r, row in enumerate(rows):
        items = row.get("components") or []
        if row.get("type") == 1 and len(items) > ROW_ITEMS:
            problems.append(f"components.{r}: {len(items)} > {ROW_ITEMS} items")
        for c, item in enumerate(items):
            custom_id = item.get("custom_id") or ""
            if len(custom_id) > CUSTOM_ID:
                problems.append(f"components.{r}.{c}.custom_id longer than {CUSTOM_ID}")
            if len(item.get("label") or "") > BUTTON_LABEL:
                problems.append(f"components.{r}.{c}.label longer than {BUTTON_LABEL}")
    return problems


def embed_problems(embed: dict[str, Any]) -> list[str]:
    problems = []
    title = embed.get("title") or ""
    description = embed.get("description") or ""
    footer = (embed.get("footer") or {}).get("text") or ""
    author = (embed.get("author") or {}).get("name") or ""
    fields = embed.get("fields") or []
    for name, text, limit in (
        ("title", title, EMBED_TITLE),
        ("description", description, EMBED_DESCRIPTION),
        ("footer.text", footer, FOOTER_TEXT),
        ("author.name", author, AUTHOR_NAME),
    ):
        if len(text) > limit:
            problems.append(f"{name}: {len(text)} > {limit} characters")
    if len(fields) > EMBED_FIELDS:
        problems.append(f"fields: {len(fields)} > {EMBED_FIELDS}")
    total = len(title) + len(description) + len(footer) + len(author)
    for i, field in enumerate(fields):
        name, value = field.get("name") or "", field.get("value") or ""
        if not name or not value:
            problems.append(f"fields.{i}: name and value are required")
        if len(name) > FIELD_NAME:
            problems.append(f"fields.{i}.name: {len(name)} > {FIELD_NAME} characters")
        if len(value) > FIELD_VALUE:
            problems.append(f"fields.{i}.value: {len(value)} > {FIELD_VALUE} characters")
        total += len(name) + len(value)
    if total > EMBED_TOTAL:
        problems.append(f"{total} > {EMBED_TOTAL} characters in all")
    return problems


def choices_problems(choices: list[dict[str, Any]]) -> list[str]:
    """Autocomplete results: at most 25, names 1–100 characters, values ≤ 100."""
    problems = []
    if len(choices) > CHOICES:
        problems.append(f"choices: {len(choices)} > {CHOICES}")
    for i, choice in enumerate(choices):
        name, value = str(choice.get("name") or ""), choice.get("value")
        if not 1 <= len(name) <= CHOICE_NAME:
            problems.append(f"choices.{i}.name must be 1-{CHOICE_NAME} characters")
        if isinstance(value, str) and len(value) > CHOICE_VALUE:
            problems.append(f"choices.{i}.value longer than {CHOICE_VALUE}")
    return problems


COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
COMMAND_DESCRIPTION = 100
COMMAND_OPTIONS = 25
COMMAND_TOTAL = 4000
COMMANDS_PER_SCOPE = 100


def commands_problems(commands: list[dict[str, Any]]) -> list[str]:
    """What Discord refuses in a bulk command overwrite (``PUT …/commands``)."""
    problems = []
    if len(commands) > COMMANDS_PER_SCOPE:
        problems.append(f"{len(commands)} > {COMMANDS_PER_SCOPE} commands")
    names = [c.get("name") for c in commands]
    if len(set(names)) != len(names):
        problems.append("command names must be unique")
    for i, command in enumerate(commands):
        problems.extend(f"{i}.{p}" for p in command_problems(command))
    return problems


def command_problems(command: dict[str, Any]) -> list[str]:
    """One application command's schema against Discord's rules (chat-input commands)."""
    problems: list[str] = []
    total = _named(command, problems, "", described=command.get("type", 1) == 1)
    options = command.get("options") or []
    if len(options) > COMMAND_OPTIONS:
        problems.append(f"options: {len(options)} > {COMMAND_OPTIONS}")
    seen_optional = False
    for i, option in enumerate(options):
        where = f"options.{i}."
        total += _named(option, problems, where)
        if option.get("type") in (1, 2):  # subcommands have their own options
            for j, sub in enumerate(option.get("options") or []):
                total += _named(sub, problems, f"{where}options.{j}.")
            continue
        if option.get("required"):
            if seen_optional:
                problems.append(f"{where}required options must come before optional ones")
        else:
            seen_optional = True
        choices = option.get("choices") or []
        problems.extend(where + p for p in choices_problems(choices))
        total += sum(len(str(c.get("name", ""))) + len(str(c.get("value", ""))) for c in choices)
        if choices and option.get("autocomplete"):
            problems.append(f"{where}autocomplete and choices cannot be combined")
    if total > COMMAND_TOTAL:
        problems.append(f"{total} > {COMMAND_TOTAL} characters in names and descriptions")
    return problems


def _named(item: dict[str, Any], problems: list[str], where: str, described: bool = True) -> int:
    """Check a command's or option's name and description; their length for the total."""
    name, description = str(item.get("name") or ""), str(item.get("description") or "")
    if not COMMAND_NAME.match(name) or name != name.lower():
        problems.append(f"{where}name {name!r} must be 1-32 lowercase letters, digits, - or _")
    if described and not 1 <= len(description) <= COMMAND_DESCRIPTION:
        problems.append(f"{where}description must be 1-{COMMAND_DESCRIPTION} characters")
    return len(name) + len(description)
