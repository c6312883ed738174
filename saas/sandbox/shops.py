"""Many simulated shops in one server.

- For a benchmark of a thousand stores (Mirakl shops or VTEX accounts): the path ``/shops/<n>/…`` is the n-th one's
  own simulator, on its own data file, built the first time it is asked for. Run:
  ``gunicorn "saas.sandbox.shops:create_app('mirakl')"``; a store's URL is ``<server>/shops/<n>``. The VTEX accounts
  seed ``SANDBOX_SHOPS_SKUS`` SKUs each (20 by default).
- For ``make run``: the Carrefour sandbox's few shops behind one URL, as Carrefour's own API is, each opened by its
  own ShopKey (``SANDBOX_SHOPS``); ``/_admin`` is the first shop's page, ``/lojas/<shop id>/_admin`` another's.
  Run: ``gunicorn "saas.sandbox.shops:create_sandbox_app()"``.
"""
import os
import threading
from typing import NamedTuple

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


class SandboxShop(NamedTuple):
    key: str
    shop_id: int
    name: str


# The demo store holds the first; sign-up and the README offer the others to a newcomer's stores.
SANDBOX_SHOPS = (SandboxShop("sandbox-shop-key-demo", 2001, "Loja Demo (sandbox Carrefour)"),
                 SandboxShop("sandbox-shop-key-2", 2002, "Loja 2 (sandbox Carrefour)"),
                 SandboxShop("sandbox-shop-key-3", 2003, "Loja 3 (sandbox Carrefour)"))


class KeyedShops:
    """The WSGI application of the Carrefour sandbox: a call goes to the shop its ShopKey opens; a page of
    ``/lojas/<shop id>/`` to that shop (its prefix moved into SCRIPT_NAME); anything else to the first shop, which
    answers an unknown key 401 as Carrefour does."""

    PREFIX = "lojas"

    def __init__(self, shops=SANDBOX_SHOPS):
        from saas.sandbox import mirakl
        self.by_key, self.by_id = {}, {}
        siblings = [{"name": shop.name, "key": shop.key, "admin": f"/{self.PREFIX}/{shop.shop_id}/_admin"}
                    for shop in shops]
        for number, shop in enumerate(shops):
            name = "mirakl" if number == 0 else f"mirakl-shop-{shop.shop_id}"
            app = mirakl.create_app(data_path(name), shop_key=shop.key, shop_id=shop.shop_id, shop_name=shop.name)
            app.config["SIBLINGS"] = siblings
            self.by_key[shop.key], self.by_id[str(shop.shop_id)] = app, app
        self.first = self.by_key[shops[0].key]

    def __call__(self, environ, start_response):
        parts = environ.get("PATH_INFO", "").split("/", 3)  # "", "lojas", shop id, the shop's own path
        if len(parts) > 2 and parts[1] == self.PREFIX and parts[2] in self.by_id:
            environ = {**environ, "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") + f"/{self.PREFIX}/{parts[2]}",
                       "PATH_INFO": "/" + (parts[3] if len(parts) > 3 else "")}
            return self.by_id[parts[2]](environ, start_response)
        app = self.by_key.get(environ.get("HTTP_AUTHORIZATION", ""), self.first)
        return app(environ, start_response)


def create_sandbox_app() -> KeyedShops:
    return KeyedShops()


def create_app(name: str, shops: int = 0) -> Shops:
    """The server of ``name`` (vtex or mirakl); with ``shops``, the first ``shops`` of them built (and seeded) now,
    before a server forks its workers."""
    server = Shops(name)
    for number in range(1, shops + 1):
        server.app(number)
    return server
