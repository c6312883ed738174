"""Carrefour Brasil: a profile of the Mirakl connector, with its URL, its ShopKey, its four shipping types and the
freight quotes it asks the store for."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from saas.connectors.carrefour import freight_wire, settings
from saas.connectors.mirakl.connector import MiraklConnector


class CarrefourConnector(MiraklConnector):
    key = "carrefour"
    name = "Carrefour"
    description = _l("Carrefour Brasil marketplace (Mirakl): catalog, prices, stock, orders and freight.")
    shipping_types = settings.SHIPPING_TYPES
    freight_wire = freight_wire
    credentials_label = "ShopKey"
    credentials_help = _l("The Mirakl API key (“Chave da Api” in Carrefour's seller portal, Master user).")
    api_url_help = _l("Carrefour's Mirakl address. Change it only for a test environment or the sandbox.")
    default_affiliate = "CRF"

    @staticmethod
    def default_api_url() -> str:
        return current_app.config["MIRAKL_DEFAULT_URL"]


CarrefourConnector.settings_form, CarrefourConnector.settings_fields = settings.build(CarrefourConnector)
