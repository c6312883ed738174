"""The settings form of a Mirakl operator, built for its profile (its name, its key's name, its shipping types): the
seed's fields (their pt-BR labels are the seed's), their help and their validation. Carrefour's form is built once;
another operator's is built for the shipping types its API listed."""
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField
from wtforms.validators import URL, Email, InputRequired, Length, Optional, Regexp
from wtforms.widgets import PasswordInput

from saas.connectors.base import SettingsField
from saas.connectors.forms import Section, declared_fields
from saas.connectors.mirakl.mapping import CERTIFICATES
from saas.fields import percent, quantity

CERTIFICATE_FIELDS = {f"cert_{name.lower()}": name for name in CERTIFICATES}
EVENT_FIELDS = ("invoice_document_type", "nfe_key_field", "nfe_number_field", "delivered_field")
# What a new store's tolerance starts at: the everyday drift between a change at VTEX and its offer at the marketplace
# (minutes, a few %), not a stale promotion (10 % and more). 0 failed ordinary orders on 0.5–3.8 % differences.
DEFAULT_DIVERGENCE = 5
PLAIN_FIELDS = ("notification_email", "shop_id", "api_url", "divergence", "trade_policy", "min_stock",
                "affiliate_id", "auto_accept") + EVENT_FIELDS


class MiraklSettingsForm(FlaskForm):
    """What every Mirakl operator's form has; ``settings_form`` adds the profile's texts and shipping types."""

    shipping_types: tuple[tuple[str, str], ...] = ()
    extra_fields: tuple[str, ...] = ()  # a profile's own plain settings

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        names = [name for name, _label in self.shipping_types]
        if not names and self.is_active:
            self.shop_key.errors = list(self.shop_key.errors) + [
                _("Save once with “Active integration” set to No: the marketplace's shipping types are read with "
                  "this key, then map at least one of them and activate.")]
            return False
        if names and not any((getattr(self, name).data or "").strip() for name in names):
            first = getattr(self, names[0])
            first.errors = list(first.errors) + [
                _("Map at least one shipping type to a VTEX carrier: without it freight cannot be simulated and "
                  "the marketplace's orders cannot be integrated.")]
            valid = False
        if self.is_active and not (self.notification_email.data or "").strip():
            self.notification_email.errors = list(self.notification_email.errors) + [
                _("An active integration needs a notification e-mail.")]
            valid = False
        return valid

    @property
    def is_active(self) -> bool:
        return self.active.data == "yes"

    @classmethod
    def initial_data(cls, settings: dict, active: bool) -> dict:
        """The form's values from the stored settings (defaults where nothing is stored yet)."""
        certificates = {name: (settings.get("certificate_specs") or {}).get(cert, f"Certificado {cert}")
                        for name, cert in CERTIFICATE_FIELDS.items()}
        return {"api_url": cls.default_api_url(), **certificates, **settings, "active": "yes" if active else "no"}

    @staticmethod
    def default_api_url() -> str:
        return ""

    def settings(self) -> dict:
        """The non-secret settings, as stored."""
        names = PLAIN_FIELDS + self.extra_fields + tuple(name for name, _label in self.shipping_types)
        values = {name: getattr(self, name).data for name in names}
        values["divergence"] = float(values["divergence"])
        values["certificate_specs"] = {cert: (getattr(self, name).data or "").strip()
                                       for name, cert in CERTIFICATE_FIELDS.items()}
        return {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}


def settings_form(profile, shipping_types: tuple[tuple[str, str], ...]) -> type[MiraklSettingsForm]:
    """The form of ``profile`` (a MiraklConnector subclass) with a field per shipping type ``(setting, label)``."""
    name = profile.name
    fields = {
        "active": RadioField(
            _l("Active integration"), choices=[("yes", _l("Yes")), ("no", _l("No"))], default="no",
            description=_l("Yes sends products, prices, stock and tracking to %(marketplace)s and imports its "
                           "orders. No stops everything and erases the VTEX affiliate and the stored %(key)s.",
                           marketplace=name, key=profile.credentials_label)),
        "notification_email": EmailField(
            _l("Notification e-mail"), validators=[Optional(), Email(message=_l("Enter a valid e-mail address."))],
            description=_l("Who follows the integration: order integration errors are mailed here.")),
        "shop_key": PasswordField(
            profile.credentials_label, validators=[Optional(), Length(min=8, max=200)],
            widget=PasswordInput(hide_value=False), description=profile.credentials_help),
        "divergence": percent(
            _l("Divergence rate (%)"), default=DEFAULT_DIVERGENCE, message=_l("Enter a percentage between 0 and 100."),
            validators=[InputRequired(message=_l("Enter a percentage between 0 and 100."))],
            description=_l("An order whose %(marketplace)s price differs from the VTEX price by more than this "
                           "percentage is not imported, and you are told. A price changed at VTEX reaches "
                           "%(marketplace)s a few minutes later, and its orders meanwhile carry the old price: 5 %% "
                           "lets those through and still stops an order priced by a promotion that has ended. 0 "
                           "refuses any difference, even of a cent.", marketplace=name)),
        "trade_policy": StringField(
            _l("Trade policy"), default="1",
            validators=[InputRequired(), Regexp(r"^\d+$", message=_l("The trade policy is its numeric id."))],
            description=_l("The VTEX trade policy (sales channel) whose catalog, prices and stock %(marketplace)s "
                           "gets.", marketplace=name)),
        "min_stock": quantity(
            _l("Minimum stock"), default=0,
            validators=[InputRequired(message=_l("Enter a whole number, 0 or more."))],
            description=_l("An SKU whose stock falls to this quantity or below is offered to %(marketplace)s "
                           "with quantity 0.", marketplace=name)),
        **{setting: StringField(
            _l("SLA mapping for the %(shipping_type)s type", shipping_type=label),
            validators=[Optional(), Length(max=120)],
            description=_l("The VTEX carrier (shipping policy) used for %(marketplace)s's “%(shipping_type)s” "
                           "delivery.", marketplace=name, shipping_type=label)) for setting, label in shipping_types},
        "auto_accept": BooleanField(
            _l("Accept orders automatically"), default=True,
            description=_l("Accept %(marketplace)s orders by themselves when every SKU exists and has stock; "
                           "untick to accept or refuse them yourself in the Orders tab.", marketplace=name)),
        "affiliate_id": StringField(
            _l("Affiliate id"), default=profile.default_affiliate,
            validators=[InputRequired(), Regexp(r"^[B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{3}$",
                                                message=_l("Three consonants, e.g. CRF."))],
            filters=[lambda value: value.upper() if value else value],
            description=_l("The affiliate VTEX registers for this integration: three consonants, %(default)s by "
                           "default.", default=profile.default_affiliate)),
        "shop_id": StringField(
            _l("Shop ID"), validators=[Optional(), Regexp(r"^\d+$", message=_l("The Shop ID is a number."))],
            description=_l("Only needed when the key serves several %(marketplace)s shops.", marketplace=name)),
        "api_url": StringField(
            _l("Mirakl API URL"), validators=[InputRequired(), URL(require_tld=False, message=_l("Enter a full URL."))],
            description=profile.api_url_help),
        "invoice_document_type": StringField(
            _l("Invoice document type"), default=profile.invoice_document_type,
            validators=[Optional(), Length(max=60)],
            description=_l("The Mirakl document type code the NF-e is uploaded as (the operator's list of order "
                           "documents); %(default)s when empty.", default=profile.invoice_document_type)),
        "nfe_key_field": _field_code(name, _l("NF-e key field"), _l("the NF-e access key")),
        "nfe_number_field": _field_code(name, _l("NF-e number field"), _l("the NF-e number")),
        "delivered_field": _field_code(name, _l("Order delivered field"),
                                       _l("the delivery date (empty: the delivery is told in a message on the "
                                          "order)")),
        **{field: _certificate_field(name, cert) for field, cert in CERTIFICATE_FIELDS.items()},
        **profile.extra_form_fields(),
    }
    sla_section = Section(_l("SLA mapping"), tuple(setting for setting, _label in shipping_types), carriers=True,
                          help=_l("Fill in at least one: map a %(marketplace)s shipping type to a VTEX carrier.",
                                  marketplace=name) if shipping_types else
                          _l("The shipping types are read from %(marketplace)s with the key: save it once, then "
                             "map them here.", marketplace=name))
    extra = tuple(profile.extra_form_fields())
    # The seed's fields first, in its order; what most stores never change is folded under "Advanced".
    fields["sections"] = (
        Section("", extra + ("active", "notification_email", "shop_key", "divergence", "trade_policy", "min_stock")),
        sla_section,
        Section(_l("Advanced"), ("auto_accept", "affiliate_id", "shop_id", "api_url") + EVENT_FIELDS
                + tuple(CERTIFICATE_FIELDS), advanced=True,
                help=_l("Order acceptance, the VTEX affiliate, the Mirakl address, invoice and delivery fields, and "
                        "which VTEX specification carries each homologation code %(marketplace)s asks for.",
                        marketplace=name)),
    )
    fields.update(shipping_types=tuple(shipping_types), extra_fields=extra,
                  default_api_url=staticmethod(profile.default_api_url))
    return type(f"{profile.__name__}SettingsForm", (MiraklSettingsForm,), fields)


@cache
def operator_form(profile, shipping_types: tuple[tuple[str, str], ...]) -> type[MiraklSettingsForm]:
    """An operator's form for the shipping types it listed, built once per set of types."""
    return settings_form(profile, shipping_types)


def audit_fields(form_class) -> tuple[SettingsField, ...]:
    """The audit trail's labels are the form's own; the certificate fields are stored together, under one name."""
    return tuple(f for f in declared_fields(form_class) if f.name not in CERTIFICATE_FIELDS) + (
        SettingsField("certificate_specs", _l("Certificate mapping")),)


def _certificate_field(marketplace, name):
    return StringField(
        _l("%(certificate)s specification", certificate=name), default=f"Certificado {name}",
        validators=[Optional(), Length(max=120)],
        description=_l("The VTEX specification that holds the %(certificate)s certificate code, sent to "
                       "%(marketplace)s with the product. Empty: not sent.", certificate=name,
                       marketplace=marketplace))


def _field_code(marketplace, label, what):
    return StringField(label, validators=[Optional(), Length(max=60)],
                       description=_l("Optional: the code of the %(marketplace)s order field that receives "
                                      "%(what)s.", marketplace=marketplace, what=what))
