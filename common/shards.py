"""Which of the bot's shards one process runs.

Discord sends a guild's events on shard ``(guild_id >> 22) % shard_count`` (DMs on shard 0).
A deployment of ``shard_count`` shards splits them over processes either by naming each
process's shards (``SHARD_IDS=0,3``) or by cluster: process ``k`` of ``n`` runs the shards
``i`` with ``i % n == k`` (``CLUSTER_INDEX=k``, ``CLUSTER_SIZE=n``).
"""

from __future__ import annotations

from dataclasses import dataclass


def guild_shard(guild_id: int | None, shard_count: int) -> int:
    """The shard Discord routes ``guild_id``'s events to (DMs, ``None``: shard 0)."""
    return 0 if guild_id is None else (guild_id >> 22) % shard_count


@dataclass(frozen=True)
class ShardPlan:
    """``count`` shards in all; this process runs ``ids`` (ascending)."""

    count: int
    ids: tuple[int, ...]

    def __str__(self) -> str:
        if len(self.ids) == self.count:
            return f"all {self.count} shard{'s' if self.count > 1 else ''}"
        return f"shards {', '.join(map(str, self.ids))} of {self.count}"


def parse_ids(text: str) -> tuple[int, ...]:
    """``"0, 2,5"`` → ``(0, 2, 5)``; a ValueError naming what is not a shard id."""
    ids = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit():
            raise ValueError(
                f"SHARD_IDS must be shard numbers separated by commas (e.g. 0,2), not {text!r}"
            )
        ids.append(int(part))
    return tuple(ids)


def shard_plan(
    count: int | None,
    ids: str | None = None,
    cluster_index: int | None = None,
    cluster_size: int | None = None,
) -> ShardPlan:
    """The shards of this process from the settings; a ValueError of one sentence when they
    do not fit together. No ``count``: one shard (``make run``)."""
    clustered = cluster_index is not None or cluster_size is not None
    if ids is not None and clustered:
        raise ValueError("set either SHARD_IDS or CLUSTER_INDEX and CLUSTER_SIZE, not both")
    if count is None:
        if ids is not None or clustered:
            which = "SHARD_IDS needs" if ids is not None else "CLUSTER_INDEX and CLUSTER_SIZE need"
            raise ValueError(f"{which} SHARD_COUNT, the total number of shards")
        return ShardPlan(1, (0,))
    if count < 1:
        raise ValueError(f"SHARD_COUNT must be at least 1, not {count}")
    if ids is not None:
        chosen = parse_ids(ids)
        wrong = [i for i in chosen if i >= count]
        if wrong:
            raise ValueError(
                f"SHARD_IDS {', '.join(map(str, wrong))} out of range: "
                f"with SHARD_COUNT={count} shards are 0 to {count - 1}"
            )
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"SHARD_IDS lists a shard twice ({ids!r})")
        return ShardPlan(count, tuple(sorted(chosen)))
    if clustered:
        if cluster_index is None or cluster_size is None:
            raise ValueError("CLUSTER_INDEX and CLUSTER_SIZE go together: set both or neither")
        if cluster_size < 1 or not 0 <= cluster_index < cluster_size:
            raise ValueError(
                f"CLUSTER_INDEX must be 0 to CLUSTER_SIZE - 1 ({cluster_size} - 1), "
                f"not {cluster_index}"
            )
        if cluster_size > count:
            raise ValueError(
                f"CLUSTER_SIZE {cluster_size} is more than SHARD_COUNT {count}: "
                "some processes would run no shard"
            )
        return ShardPlan(count, tuple(i for i in range(count) if i % cluster_size == cluster_index))
    return ShardPlan(count, tuple(range(count)))
