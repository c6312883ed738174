"""Carrefour's settings: the seed's fields with its Portuguese labels, English help text, and their validation."""
from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, EmailField, IntegerField, PasswordField, RadioField, StringField
from wtforms.validators import URL, Email, InputRequired, Length, NumberRange, Optional, Regexp

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
        f"Especificação {name}", default=f"Certificado {name}", validators=[Optional(), Length(max=120)],
        description=f"The VTEX specification that holds the {name} certificate code, sent to Carrefour with the "
                    "product. Empty: not sent.")


def _field_code(label, what):
    return StringField(label, validators=[Optional(), Length(max=60)],
                       description=f"Optional: the code of the Carrefour order field that receives {what}.")


def _sla_field(label):
    return StringField(
        f"Mapeamento de SLA de tipo {label}", validators=[Optional(), Length(max=120)],
        description=f"The VTEX carrier (shipping policy) used for Carrefour's “{label}” delivery.")


class CarrefourSettingsForm(FlaskForm):
    active = RadioField(
        "Integração ativa", choices=[("yes", "Sim"), ("no", "Não")], default="no",
        description="Yes sends products, prices, stock and tracking to Carrefour and imports its orders. "
                    "No stops everything and erases the VTEX affiliate and the stored ShopKey.")
    notification_email = EmailField(
        "E-mail de notificação", validators=[Optional(), Email(message="Enter a valid e-mail address.")],
        description="Who follows the integration: order integration errors are mailed here.")
    shop_key = PasswordField(
        "ShopKey", validators=[Optional(), Length(min=8, max=200)],
        description="The Mirakl API key (“Chave da Api” in Carrefour's seller portal, Master user). "
                    "Leave empty to keep the stored key.")
    shop_id = StringField(
        "Shop ID", validators=[Optional(), Regexp(r"^\d+$", message="The Shop ID is a number.")],
        description="Only needed when the key serves several Carrefour shops.")
    api_url = StringField(
        "URL da API Mirakl", validators=[InputRequired(), URL(require_tld=False, message="Enter a full URL.")],
        description="Carrefour's Mirakl address. Change it only for a test environment or the sandbox.")
    divergence = DecimalField(
        "Taxa de divergência (%)", places=2, default=0,
        validators=[InputRequired(message="Enter a percentage between 0 and 100."),
                    NumberRange(min=0, max=100, message="Enter a percentage between 0 and 100.")],
        description="An order whose Carrefour price differs from the VTEX price by more than this percentage "
                    "is not imported, and you are told.")
    trade_policy = StringField(
        "Política comercial", default="1",
        validators=[InputRequired(), Regexp(r"^\d+$", message="The trade policy is its numeric id.")],
        description="The VTEX trade policy (sales channel) whose catalog, prices and stock Carrefour gets.")
    affiliate_id = StringField(
        "ID do afiliado", default="CRF",
        validators=[InputRequired(), Regexp(r"^[B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{3}$",
                                            message="Three consonants, e.g. CRF.")],
        filters=[lambda value: value.upper() if value else value],
        description="The affiliate VTEX registers for this integration: three consonants, CRF by default.")
    min_stock = IntegerField(
        "Estoque mínimo", default=0,
        validators=[InputRequired(message="Enter a whole number, 0 or more."), NumberRange(min=0)],
        description="An SKU whose stock falls to this quantity or below is offered to Carrefour with quantity 0.")
    auto_accept = BooleanField(
        "Aceite automático de pedidos", default=True,
        description="Accept Carrefour orders by themselves when every SKU exists and has stock; "
                    "untick to accept or refuse them yourself in the Orders tab.")
    sla_normal = _sla_field("Normal")
    sla_expressa = _sla_field("Expressa")
    sla_economica = _sla_field("Econômica")
    sla_agendada = _sla_field("Agendada")
    invoice_document_type = StringField(
        "Tipo de documento da nota fiscal", default="CUSTOMER_INVOICE", validators=[Optional(), Length(max=60)],
        description="The Mirakl document type code the NF-e is uploaded as (Carrefour's list of order documents); "
                    "CUSTOMER_INVOICE when empty.")
    nfe_key_field = _field_code("Campo da chave da NF-e", "the NF-e access key")
    nfe_number_field = _field_code("Campo do número da NF-e", "the NF-e number")
    delivered_field = _field_code("Campo de pedido entregue",
                                  "the delivery date (empty: the delivery is told in a message on the order)")
    cert_anatel = _certificate_field("ANATEL")
    cert_inmetro = _certificate_field("INMETRO")
    cert_anvisa = _certificate_field("ANVISA")
    cert_mapa = _certificate_field("MAPA")

    sections = (
        Section("", ("active", "notification_email", "shop_key", "shop_id", "api_url", "divergence", "trade_policy",
                     "affiliate_id", "min_stock", "auto_accept")),
        Section("Mapeamento de SLA", SLA_FIELDS, carriers=True,
                help="Preencha pelo menos um. (Map at least one Carrefour shipping type to a VTEX carrier.)"),
        Section("Nota fiscal, rastreio e entrega", EVENT_FIELDS),
        Section("Mapeamento de certificados", tuple(CERTIFICATE_FIELDS),
                help="Which VTEX specification carries each homologation code Carrefour asks for."),
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not any((getattr(self, name).data or "").strip() for name in SLA_FIELDS):
            self.sla_normal.errors = list(self.sla_normal.errors) + [
                "Map at least one shipping type to a VTEX carrier: without it freight cannot be simulated and "
                "Carrefour orders cannot be integrated."]
            valid = False
        if self.is_active and not (self.notification_email.data or "").strip():
            self.notification_email.errors = list(self.notification_email.errors) + [
                "An active integration needs a notification e-mail."]
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
    SettingsField("certificate_specs", "Mapeamento de certificados"),)
