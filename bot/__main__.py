"""``python -m bot``: the one place start-up happens (settings → logging → app)."""

from __future__ import annotations

import sys

from common.settings import Settings, SettingsError, load_settings


def main() -> int:
    try:
        settings = load_settings(Settings)
    except SettingsError as exc:
        print(f"anirec: {exc}", file=sys.stderr)
        return 2

    from common.logs import configure_logging

    configure_logging(settings.log_level, settings.secrets())

    from bot.app import run  # imported late: discord.py only once settings are valid

    return run(settings)


if __name__ == "__main__":
    sys.exit(main())
