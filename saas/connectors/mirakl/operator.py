"""Mirakl (outro operador): any marketplace that runs on Mirakl, connected by its API address and key. Its shipping
types are not known in advance: they are read from the operator's API (SH12) when the key is saved, and the form
gets a carrier mapping for each; carriers for tracking come from its SH21, as for every Mirakl operator."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length

from saas.connectors.mirakl.connector import MiraklConnector
from saas.connectors.mirakl.settings import audit_fields, operator_form


class MiraklOperatorConnector(MiraklConnector):
    key = "mirakl"
    name = "Mirakl"
    title = _l("Mirakl (other operator)")
    description = _l("Any other marketplace that runs on Mirakl, by its API address and key: catalog, prices, stock "
                     "and orders, with the shipping types the marketplace lists.")
    credentials_label = _l("API key")
    credentials_help = _l("Your shop's Mirakl API key at this marketplace (its seller portal, user settings › API "
                          "key).")
    api_url_help = _l("The marketplace's Mirakl address, as its seller documentation gives it, e.g. "
                      "https://marketplace.mirakl.net.")
    discovered_settings = ("shipping_types",)

    @classmethod
    def extra_form_fields(cls) -> dict:
        return {"operator_name": StringField(
            _l("Marketplace name"), validators=[InputRequired(), Length(max=60)],
            description=_l("How the marketplace is called in messages and mails, e.g. Leroy Merlin."))}

    @property
    def marketplace_name(self) -> str:
        return self.context.settings.get("operator_name") or self.name

    @classmethod
    def shipping_types_for(cls, settings: dict) -> tuple[tuple[str, str], ...]:
        return tuple((setting_name(code), label) for code, label in settings.get("shipping_types") or ())

    @classmethod
    def form_for(cls, settings: dict):
        return operator_form(cls, cls.shipping_types_for(settings))

    @classmethod
    def fields_for(cls, settings: dict):
        return audit_fields(cls.form_for(settings))

    def discover_settings(self) -> dict:
        """SH12: the operator's shipping types, as [code, label] pairs."""
        types = self.client.shipping_types()
        return {"shipping_types": [[str(t["code"]), str(t.get("label") or t["code"])] for t in types if t.get("code")]}


def setting_name(code: str) -> str:
    """The setting that maps one of the operator's shipping type codes to a VTEX carrier."""
    return "sla_" + re.sub(r"[^a-z0-9]+", "_", code.lower()).strip("_")


MiraklOperatorConnector.settings_form = operator_form(MiraklOperatorConnector, ())
MiraklOperatorConnector.settings_fields = audit_fields(MiraklOperatorConnector.settings_form)
