"""MAL export XML and MAL API animelist JSON, as MAL writes them, for the list-format tests."""

from __future__ import annotations

from xml.sax.saxutils import escape

from model.profile import ProfileEntry

EXPORT_STATUS = {
    "watching": "Watching",
    "completed": "Completed",
    "on_hold": "On-Hold",
    "dropped": "Dropped",
    "plan_to_watch": "Plan to Watch",
}


def anime_xml(anime_id: object, title: str, score: object, status: object, cdata: bool) -> str:
    """One ``<anime>`` record laid out as MAL's exporter writes it."""
    title_xml = f"<![CDATA[{title}]]>" if cdata else escape(title)
    return f"""
	<anime>
		<series_animedb_id>{anime_id}</series_animedb_id>
		<series_title>{title_xml}</series_title>
		<series_type>TV</series_type>
		<series_episodes>12</series_episodes>
		<my_id>0</my_id>
		<my_watched_episodes>12</my_watched_episodes>
		<my_start_date>0000-00-00</my_start_date>
		<my_score>{score}</my_score>
		<my_status>{status}</my_status>
		<my_comments><![CDATA[]]></my_comments>
		<my_tags><![CDATA[a, b]]></my_tags>
		<update_on_import>0</update_on_import>
	</anime>"""


def export_xml(
    records: list[tuple[object, str, object, object]],
    username: str = "alice",
    *,
    cdata: bool = True,
    prolog: str = '<?xml version="1.0" encoding="UTF-8" ?>',
) -> bytes:
    body = "".join(anime_xml(*record, cdata=cdata) for record in records)
    return f"""{prolog}
<!--
 Created by XML Export feature at MyAnimeList.net
 Version 1.1.0
-->
<myanimelist>
	<myinfo>
		<user_id>42</user_id>
		<user_name>{username}</user_name>
		<user_export_type>1</user_export_type>
		<user_total_anime>{len(records)}</user_total_anime>
	</myinfo>{body}
</myanimelist>
""".encode()


RECORDS = [
    (1, "Cowboy Bebop", 9, "Completed"),
    (5114, "Fullmetal Alchemist: Brotherhood", 10, "Watching"),
    (30, "Shinseiki Evangelion", 0, "Dropped"),
    (52991, "Sousou no Frieren", 0, "Plan to Watch"),
    (269, "Bleach", 6, "On-Hold"),
]
EXPECTED = [
    ProfileEntry(1, 9, "completed"),
    ProfileEntry(5114, 10, "watching"),
    ProfileEntry(30, 0, "dropped"),
    ProfileEntry(52991, 0, "plan_to_watch"),
    ProfileEntry(269, 6, "on_hold"),
]


def line_of(data: bytes, needle: str) -> int:
    return (
        data.decode().splitlines().index(next(s for s in data.decode().splitlines() if needle in s))
        + 1
    )


def api_item(anime_id: object, status: object, score: object, **extra: object) -> dict:
    return {
        "node": {
            "id": anime_id,
            "title": f"Title {anime_id}",
            "main_picture": {"medium": "https://example.invalid/a.jpg"},
        },
        "list_status": {
            "status": status,
            "score": score,
            "num_episodes_watched": 3,
            "is_rewatching": False,
            "updated_at": "2017-11-11T19:51:22+00:00",
            **extra,
        },
    }


def modern_anime_xml(anime_id: int, title: str, score: int, status: str) -> str:
    """One ``<anime>`` as MAL's exporter writes it today (every field it writes, 2026 layout)."""
    return f"""
	<anime>
		<series_animedb_id>{anime_id}</series_animedb_id>
		<series_title><![CDATA[{title}]]></series_title>
		<series_type>TV</series_type>
		<series_episodes>12</series_episodes>
		<my_id>0</my_id>
		<my_watched_episodes>12</my_watched_episodes>
		<my_start_date>2021-04-03</my_start_date>
		<my_finish_date>2021-06-19</my_finish_date>
		<my_rated></my_rated>
		<my_score>{score}</my_score>
		<my_storage></my_storage>
		<my_storage_value>0.00</my_storage_value>
		<my_status>{status}</my_status>
		<my_comments><![CDATA[]]></my_comments>
		<my_times_watched>0</my_times_watched>
		<my_rewatch_value></my_rewatch_value>
		<my_priority>LOW</my_priority>
		<my_tags><![CDATA[]]></my_tags>
		<my_rewatching>0</my_rewatching>
		<my_rewatching_ep>0</my_rewatching_ep>
		<my_discuss>1</my_discuss>
		<my_sns>default</my_sns>
		<update_on_import>0</update_on_import>
		<my_last_updated>1624060800</my_last_updated>
		<my_num_tag_updates>0</my_num_tag_updates>
	</anime>"""


def modern_export(n: int, username: str = "alice", owner_tag: str = "user_name") -> bytes:
    statuses = list(EXPORT_STATUS.values())
    body = "".join(
        modern_anime_xml(i + 1, f"Generated Title No {i + 1}", i % 11, statuses[i % 5])
        for i in range(n)
    )
    head = (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<myanimelist>\n\t<myinfo>\n'
        f"\t\t<user_id>42</user_id>\n\t\t<{owner_tag}>{username}</{owner_tag}>\n"
        f"\t\t<user_export_type>1</user_export_type>\n\t\t<user_total_anime>{n}</user_total_anime>"
        "\n\t</myinfo>"
    )
    return f"{head}{body}\n</myanimelist>\n".encode()
