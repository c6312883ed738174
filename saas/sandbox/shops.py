"""Many simulated shops (Mirakl) or accounts (VTEX) in one server, for a benchmark of a thousand stores: the path
``/shops/<n>/…`` is the n-th one's own simulator, on its own data file, built the first time it is asked for.

Run: ``gunicorn "saas.sandbox.shops:create_app('mirakl')"``; a store's URL is ``<server>/shops/<n>``. The VTEX
accounts seed ``SANDBOX_SHOPS_SKUS`` SKUs each (20 by default).
"""
import os
import threading

from flask import Flask
from werkzeug.exceptions import NotFound

from saas.sandbox.common import data_path

MAX_SHOPS = 100_000


class Shops:
    """The WSGI application: each request goes to its shop's simulator, the prefix moved into SCRIPT_NAME."""

    def __init__(self, name: str):
        self.name, self.apps, self.guard = name, {}, threading.Lock()
        self.skus = int(os.environ.get("SANDBOX_SHOPS_SKUS", "20"))

    def app(self, number: int) -> Flask:
        with self.guard:
            if number not in self.apps:
                self.apps[number] = self._create(number)
            return self.apps[number]

    def _create(self, number: int) -> Flask:
        path = data_path(self.name).with_name(f"{self.name}-shop-{number}.db")
        if self.name == "vtex":
            from saas.sandbox import vtex
            return vtex.create_app(path, seed_size=self.skus)
        from saas.sandbox import mirakl
        return mirakl.create_app(path)

    def __call__(self, environ, start_response):
        parts = environ.get("PATH_INFO", "").split("/", 3)  # "", "shops", n, the shop's own path
        number = parts[2] if len(parts) > 2 and parts[1] == "shops" else ""
        if not (number.isdigit() and 0 < int(number) <= MAX_SHOPS):
            return NotFound("This server holds many shops: ask for /shops/<n>/…")(environ, start_response)
        environ = {**environ, "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + f"/shops/{number}",
                   "PATH_INFO": "/" + (parts[3] if len(parts) > 3 else "")}
        return self.app(int(number))(environ, start_response)


def create_app(name: str, shops: int = 0) -> Shops:
    """The server of ``name`` (vtex or mirakl); with ``shops``, the first ``shops`` of them built (and seeded) now,
    before a server forks its workers."""
    server = Shops(name)
    for number in range(1, shops + 1):
        server.app(number)
    return server
