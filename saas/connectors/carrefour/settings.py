"""Carrefour's settings: the seed's fields (their pt-BR labels are the seed's), their help and their validation."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, IntegerField, PasswordField, RadioField, StringField
from wtforms.validators import URL, Email, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import PasswordInput

from saas.connectors.base import SettingsField
from saas.connectors.forms import Section, declared_fields

SHIPPING_TYPES = (("sla_normal", "Normal"), ("sla_expressa", "Expressa"), ("sla_economica", "Econômica"),
                  ("sla_agendada", "Agendada"))
SLA_FIELDS = tuple(name for name, _ in SHIPPING_TYPES)
CERTIFICATES = ("ANATEL", "INMETRO", "ANVISA", "MAPA")
CERTIFICATE_FIELDS = {f"cert_{name.lower()}": name for name in CERTIFICATES}
EVENT_FIELDS = ("invoice_document_type", "nfe_key_field", "nfe_number_field", "delivered_field")
PLAIN_FIELDS = ("notification_email", "shop_id", "api_url", "divergence", "trade_policy", "min_stock",
                "affiliate_id", "auto_accept") + SLA_FIELDS + EVENT_FIELDS

def _certificate_field(name):
    return StringField(
        _l("%(certificate)s specification", certificate=name), default=f"Certificado {name}",
        validators=[Optional(), Length(max=120)],
        description=_l("The VTEX specification that holds the %(certificate)s certificate code, sent to Carrefour "
                       "with the product. Empty: not sent.", certificate=name))


def _field_code(label, what):
    return StringField(label, validators=[Optional(), Length(max=60)],
                       description=_l("Optional: the code of the Carrefour order field that receives %(what)s.",
                                      what=what))


def _sla_field(label):
    return StringField(
        _l("SLA mapping for the %(shipping_type)s type", shipping_type=label), validators=[Optional(), Length(max=120)],
        description=_l("The VTEX carrier (shipping policy) used for Carrefour's “%(shipping_type)s” delivery.",
                       shipping_type=label))


class CarrefourSettingsForm(FlaskForm):
    active = RadioField(
        _l("Active integration"), choices=[("yes", _l("Yes")), ("no", _l("No"))], default="no",
        description=_l("Yes sends products, prices, stock and tracking to Carrefour and imports its orders. "
                       "No stops everything and erases the VTEX affiliate and the stored ShopKey."))
    notification_email = EmailField(
        _l("Notification e-mail"), validators=[Optional(), Email(message=_l("Enter a valid e-mail address."))],
        description=_l("Who follows the integration: order integration errors are mailed here."))
    shop_key = PasswordField(
        _l("ShopKey"), validators=[Optional(), Length(min=8, max=200)], widget=PasswordInput(hide_value=False),
        description=_l("The Mirakl API key (“Chave da Api” in Carrefour's seller portal, Master user). "
                       "Leave empty to keep the stored key."))
    divergence = DecimalField(
        _l("Divergence rate (%)"), places=2, default=0,
        validators=[InputRequired(message=_l("Enter a percentage between 0 and 100.")),
                    NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))],
        description=_l("An order whose Carrefour price differs from the VTEX price by more than this percentage "
                       "is not imported, and you are told."))
    trade_policy = StringField(
        _l("Trade policy"), default="1",
        validators=[InputRequired(), Regexp(r"^\d+$", message=_l("The trade policy is its numeric id."))],
        description=_l("The VTEX trade policy (sales channel) whose catalog, prices and stock Carrefour gets."))
    min_stock = IntegerField(
        _l("Minimum stock"), default=0,
        validators=[InputRequired(message=_l("Enter a whole number, 0 or more.")), NumberRange(min=0)],
        description=_l("An SKU whose stock falls to this quantity or below is offered to Carrefour with quantity 0."))
    sla_normal = _sla_field("Normal")
    sla_expressa = _sla_field("Expressa")
    sla_economica = _sla_field("Econômica")
    sla_agendada = _sla_field("Agendada")
    auto_accept = BooleanField(
        _l("Accept orders automatically"), default=True,
        description=_l("Accept Carrefour orders by themselves when every SKU exists and has stock; "
                       "untick to accept or refuse them yourself in the Orders tab."))
    affiliate_id = StringField(
        _l("Affiliate id"), default="CRF",
        validators=[InputRequired(), Regexp(r"^[B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{3}$",
                                            message=_l("Three consonants, e.g. CRF."))],
        filters=[lambda value: value.upper() if value else value],
        description=_l("The affiliate VTEX registers for this integration: three consonants, CRF by default."))
    shop_id = StringField(
        _l("Shop ID"), validators=[Optional(), Regexp(r"^\d+$", message=_l("The Shop ID is a number."))],
        description=_l("Only needed when the key serves several Carrefour shops."))
    api_url = StringField(
        _l("Mirakl API URL"), validators=[InputRequired(), URL(require_tld=False, message=_l("Enter a full URL."))],
        description=_l("Carrefour's Mirakl address. Change it only for a test environment or the sandbox."))
    invoice_document_type = StringField(
        _l("Invoice document type"), default="CUSTOMER_INVOICE", validators=[Optional(), Length(max=60)],
        description=_l("The Mirakl document type code the NF-e is uploaded as (Carrefour's list of order "
                       "documents); CUSTOMER_INVOICE when empty."))
    nfe_key_field = _field_code(_l("NF-e key field"), _l("the NF-e access key"))
    nfe_number_field = _field_code(_l("NF-e number field"), _l("the NF-e number"))
    delivered_field = _field_code(_l("Order delivered field"),
                                  _l("the delivery date (empty: the delivery is told in a message on the order)"))
    cert_anatel = _certificate_field("ANATEL")
    cert_inmetro = _certificate_field("INMETRO")
    cert_anvisa = _certificate_field("ANVISA")
    cert_mapa = _certificate_field("MAPA")

    # The seed's fields first, in its order; what most stores never change is folded under "Advanced".
    sections = (
        Section("", ("active", "notification_email", "shop_key", "divergence", "trade_policy", "min_stock")),
        Section(_l("SLA mapping"), SLA_FIELDS, carriers=True,
                help=_l("Fill in at least one: map a Carrefour shipping type to a VTEX carrier.")),
        Section(_l("Advanced"), ("auto_accept", "affiliate_id", "shop_id", "api_url") + EVENT_FIELDS
                + tuple(CERTIFICATE_FIELDS), advanced=True,
                help=_l("Order acceptance, the VTEX affiliate, the Mirakl address, invoice and delivery fields, and "
                        "which VTEX specification carries each homologation code Carrefour asks for.")),
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not any((getattr(self, name).data or "").strip() for name in SLA_FIELDS):
            self.sla_normal.errors = list(self.sla_normal.errors) + [
                _("Map at least one shipping type to a VTEX carrier: without it freight cannot be simulated and "
                  "Carrefour orders cannot be integrated.")]
            valid = False
        if self.is_active and not (self.notification_email.data or "").strip():
            self.notification_email.errors = list(self.notification_email.errors) + [
                _("An active integration needs a notification e-mail.")]
            valid = False
        return valid

    @property
    def is_active(self) -> bool:
        return self.active.data == "yes"

    @staticmethod
    def initial_data(settings: dict, active: bool) -> dict:
        """The form's values from the stored settings (defaults where nothing is stored yet)."""
        certificates = {name: (settings.get("certificate_specs") or {}).get(cert, f"Certificado {cert}")
                        for name, cert in CERTIFICATE_FIELDS.items()}
        return {"api_url": current_app.config["MIRAKL_DEFAULT_URL"], **certificates, **settings,
                "active": "yes" if active else "no"}

    def settings(self) -> dict:
        """The non-secret settings, as stored."""
        values = {name: getattr(self, name).data for name in PLAIN_FIELDS}
        values["divergence"] = float(values["divergence"])
        values["certificate_specs"] = {cert: (getattr(self, name).data or "").strip()
                                       for name, cert in CERTIFICATE_FIELDS.items()}
        return {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}


# The audit trail's labels are the form's own; the certificate fields are stored together, under one name.
FIELDS = tuple(f for f in declared_fields(CarrefourSettingsForm) if f.name not in CERTIFICATE_FIELDS) + (
    SettingsField("certificate_specs", _l("Certificate mapping")),)
