"""Start and stop a local aiohttp app (the AniList and Kitsu fakes share this)."""

from __future__ import annotations

from aiohttp import web


class LocalServer:
    """An aiohttp app served on ``127.0.0.1`` in the current event loop."""

    path = ""  # appended to ``http://host:port`` to make ``base_url``

    def __init__(self) -> None:
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        raise NotImplementedError

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve (port 0 = any free port); returns (and sets) ``base_url``."""
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        bound = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self.base_url = f"http://{host}:{bound}{self.path}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
