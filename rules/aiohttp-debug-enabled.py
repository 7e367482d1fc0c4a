import asyncio
import os

import aiohttp_debugtoolbar
from aiohttp import web


def create_app():
    # ruleid: aiohttp-debug-enabled
    app = web.Application(debug=True)
    # ok: aiohttp-debug-enabled
    prod = web.Application(client_max_size=1024**2)
    # ruleid: aiohttp-debug-enabled
    aiohttp_debugtoolbar.setup(app)
    return app, prod


def main():
    loop = asyncio.new_event_loop()
    # ruleid: aiohttp-debug-enabled
    loop.set_debug(True)
    # ok: aiohttp-debug-enabled
    loop.set_debug(os.environ.get("APP_DEBUG") == "1")
    web.run_app(create_app()[0], loop=loop)
