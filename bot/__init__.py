"""anirec's Discord bot.

Importing this package has no side effects. The discord.py app lives in the submodules that
``python -m bot`` wires together; what ``training`` shares with it (MAL client, settings, logging)
lives in ``common``.
"""
