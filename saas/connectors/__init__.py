"""The connector registry: the built-in connectors plus any package that declares a ``saas.connectors`` entry point.

A marketplace shipped as its own package adds to its ``pyproject.toml``::

    [project.entry-points."saas.connectors"]
    mymarket = "mymarket.connector:MyMarketConnector"
"""
import logging
from functools import cache
from importlib.metadata import entry_points

from saas.connectors.base import Connector

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "saas.connectors"


def _builtins():
    from saas.connectors.carrefour.connector import CarrefourConnector
    from saas.connectors.mirakl.operator import MiraklOperatorConnector
    return [CarrefourConnector, MiraklOperatorConnector]


@cache
def registry() -> dict[str, type[Connector]]:
    found = {cls.key: cls for cls in _builtins()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception:  # a broken plug-in must not take the portal down
            log.exception("connector entry point %s failed to load", ep.name)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Connector) and cls.key):
            log.error("entry point %s is not a Connector subclass with a key", ep.name)
            continue
        found.setdefault(cls.key, cls)
    return found


def get_connector_class(key: str) -> type[Connector] | None:
    return registry().get(key)
