"""anirec's Discord bot.

Importing this package has no side effects and does not import discord: ``bot.settings`` and
``bot.mal`` are shared with ``training`` (the collector). The discord.py app lives in the
submodules that ``python -m bot`` wires together.
"""
