"""Embeds as pure functions of service results (no I/O), within Discord's limits, one module per
thing rendered; every public name is re-exported here, so cogs use ``render.xxx_embed(...)``."""

from bot.render.accounts import link_embed, link_summary, stats_text, sync_embed, unknown_text
from bot.render.admin import config_embed
from bot.render.common import (
    COLOUR,
    DESCRIPTION_LIMIT,
    ELLIPSIS,
    ERROR_COLOUR,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    STATUS_NAMES,
    TITLE_LIMIT,
    TOTAL_LIMIT,
    choice_name,
    clip,
    embed_length,
    link,
    page_count,
    safe,
    stamp,
)
from bot.render.feedback import (
    FEEDBACK_FIELD,
    OPTION_LIMIT,
    feedback_marked,
    feedback_text,
    feedback_undone,
    option_label,
)
from bot.render.model import model_embed
from bot.render.profile import profile_embed
from bot.render.recommend import recommendations_embed, similar_embed
from bot.render.together import together_embed
from bot.render.why import why_embed

__all__ = [
    "COLOUR",
    "DESCRIPTION_LIMIT",
    "ELLIPSIS",
    "ERROR_COLOUR",
    "FEEDBACK_FIELD",
    "FIELD_COUNT_LIMIT",
    "FIELD_NAME_LIMIT",
    "FIELD_VALUE_LIMIT",
    "FOOTER_LIMIT",
    "OPTION_LIMIT",
    "STATUS_NAMES",
    "TITLE_LIMIT",
    "TOTAL_LIMIT",
    "choice_name",
    "clip",
    "config_embed",
    "embed_length",
    "feedback_marked",
    "feedback_text",
    "feedback_undone",
    "link",
    "link_embed",
    "link_summary",
    "model_embed",
    "option_label",
    "page_count",
    "profile_embed",
    "recommendations_embed",
    "safe",
    "similar_embed",
    "stamp",
    "stats_text",
    "sync_embed",
    "together_embed",
    "unknown_text",
    "why_embed",
]
