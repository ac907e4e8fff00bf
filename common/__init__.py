"""Code that the bot and the training pipeline both use: MAL client, settings, logging set-up.

Imports neither ``discord`` nor JAX, so ``training`` (the collector) can use it without the
Discord app, and the bot can use it without the training stack.
"""
