"""Carrefour Brasil (Mirakl): what the platform asks of the connector, carried out with the Mirakl client."""
from saas.connectors.base import AccountInfo, Connector
from saas.connectors.carrefour.client import MiraklClient
from saas.connectors.carrefour.settings import FIELDS, CarrefourSettingsForm


class CarrefourConnector(Connector):
    key = "carrefour"
    name = "Carrefour"
    description = "Carrefour Brasil marketplace (Mirakl): catálogo, preço, estoque, pedidos e frete."
    settings_form = CarrefourSettingsForm
    settings_fields = FIELDS
    credentials_field = "shop_key"

    @property
    def client(self) -> MiraklClient:
        settings = self.context.settings
        return MiraklClient(settings["api_url"], self.context.secrets.get("shop_key", ""),
                            shop_id=settings.get("shop_id") or None, timeout=self.context.timeout)

    def check_credentials(self) -> AccountInfo:
        body = self.client.account()
        return AccountInfo(shop_id=str(body.get("shop_id", "")), shop_name=body.get("shop_name", ""),
                           shop_state=body.get("shop_state", ""), currency=body.get("currency_iso_code", ""))
