"""Merging later knowledge (MAL's anime details) into catalog records.

An update fills in what it knows and keeps the rest: a field that is None or empty in the update
keeps the catalog's value (MAL's details carry no tags; a missing ``nsfw`` field is no news).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace

from model.catalog.titles import CatalogTitle, Relation, RelationKind, normalize_terms

_REVERSE: dict[RelationKind, RelationKind] = {
    "sequel": "prequel",
    "prequel": "sequel",
    "related": "related",
}


def normalized(title: CatalogTitle) -> CatalogTitle:
    """Case-folded genres, tags and studios (the catalog's single spelling)."""
    return replace(
        title,
        genres=normalize_terms(list(title.genres)),
        tags=normalize_terms(list(title.tags)),
        studios=normalize_terms(list(title.studios)),
    )


def merge_title(old: CatalogTitle | None, new: CatalogTitle) -> CatalogTitle:
    """``new`` over ``old``, field by field, where ``new`` knows something."""
    new = normalized(new)
    if old is None:
        return new
    changes = {}
    for f in fields(new):
        value = getattr(new, f.name)
        if value is None or value == () or value == "":
            continue
        changes[f.name] = value
    return replace(old, **changes)


def merge_relations(
    current: Mapping[int, Sequence[Relation]],
    updates: Mapping[int, Sequence[Relation]],
) -> dict[int, list[Relation]]:
    """Per-id relation lists after ``updates``: an updated id's list is replaced, and the other
    side of each updated link gets the reverse link (sequel ↔ prequel) unless it already has one
    to that id. Only ids in ``current`` or ``updates`` are returned as keys; ``current`` must
    hold every id whose list may change (the callers pass all catalog ids touched)."""
    out = {aid: list(rels) for aid, rels in current.items()}
    for aid, rels in updates.items():
        seen: dict[int, Relation] = {}
        for rel in rels:
            # a typed link wins over "related" for the same pair
            if rel.other_id != aid and (
                rel.other_id not in seen or seen[rel.other_id].kind == "related"
            ):
                seen[rel.other_id] = rel
        out[aid] = list(seen.values())
    for aid in updates:
        for rel in out[aid]:
            back = out.setdefault(rel.other_id, [])
            existing = [i for i, r in enumerate(back) if r.other_id == aid]
            reverse = Relation(aid, _REVERSE[rel.kind], rel.mal_asserted)
            if not existing:
                back.append(reverse)
            elif back[existing[0]].kind == "related" and rel.kind != "related":
                back[existing[0]] = reverse
    return out
