from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import URL, Email, EqualTo, InputRequired, Length, Optional, Regexp

from saas.egress import outcome
from saas.integration_errors import AuthError, IntegrationError
from saas.tenants.models import ROLES
from saas.vtex.client import VtexClient

SLUG_RULE = Regexp(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$",
                   message=_l("Use 3 to 63 lower-case letters, digits and hyphens, e.g. loja-centro."))
EMAIL = [InputRequired(), Email(message=_l("Enter a valid e-mail address.")), Length(max=254)]
NEW_PASSWORD = [InputRequired(), Length(min=10, max=200, message=_l("Use at least 10 characters."))]
SAME_PASSWORD = EqualTo("password", message=_l("The passwords differ."))
ROLE_NAMES = {"owner": _l("owner"), "admin": _l("admin"), "viewer": _l("viewer")}


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=EMAIL)
    password = PasswordField(_l("Password"), validators=[InputRequired()])


class StoreFields:
    """The fields of a VTEX store (a tenant), shared by sign-up and “new store”."""

    name = StringField(_l("Store name"), validators=[InputRequired(), Length(max=120)],
                       description=_l("How the store appears in the portal."))
    slug = StringField(_l("Identifier"), validators=[InputRequired(), SLUG_RULE],
                       description=_l("Used in the portal's addresses and in the freight URL given to the "
                                      "marketplaces."))
    vtex_account = StringField(_l("VTEX account (accountName)"),
                               validators=[InputRequired(),
                                           Regexp(r"^[a-zA-Z0-9-]{2,63}$",
                                                  message=_l("The VTEX account name, e.g. minhaloja."))],
                               description=_l("The account name in https://{account}.vtexcommercestable.com.br."))
    store_label = StringField(_l("Store of the multistore"), validators=[Optional(), Length(max=120)],
                              description=_l("For a multistore: which store this is (e.g. Loja B)."))
    vtex_app_key = StringField(_l("VTEX App Key"), validators=[Optional(), Length(max=200)],
                               description=_l("An app key with the Catalog, Checkout, OMS and Logistics roles."))
    vtex_app_token = PasswordField(_l("VTEX App Token"), validators=[Optional(), Length(max=400)],
                                   description=_l("Stored encrypted."))
    vtex_base_url = StringField(_l("VTEX URL (optional)"),
                                validators=[Optional(), URL(require_tld=False, message=_l("Enter a full URL."))],
                                description=_l("Leave empty for VTEX's production host; set only for the sandbox."))


def vtex_answers(form, token: str | None = None) -> bool:
    """Whether VTEX accepts the store's account, app key and token, asked live as saving asks the marketplace; when
    not, the reason is on the field to fix. ``token``: the stored one, when the form leaves it empty."""
    key, token = (form.vtex_app_key.data or "").strip(), form.vtex_app_token.data or token
    if not key or not token:
        field = form.vtex_app_key if not key else form.vtex_app_token
        field.errors.append(_("The App Key and the App Token let us read the catalog and place orders at VTEX: "
                              "create them in VTEX's admin (Account settings › Account › Security › Access keys)."))
        return False
    base_url = form.vtex_base_url.data or f"https://{form.vtex_account.data}.vtexcommercestable.com.br"
    address_field = form.vtex_base_url if form.vtex_base_url.data else form.vtex_account
    try:
        VtexClient(base_url, key, token, timeout=5).affiliates()
    except AuthError:
        form.vtex_app_key.errors.append(_("VTEX refused this App Key and App Token. Check that both are the same "
                                          "pair and that the key has the OMS role."))
        return False
    except IntegrationError as exc:  # the answer is never shown: the address is the visitor's choice
        address_field.errors.append(outcome(exc))
        return False
    return True


class SignupForm(FlaskForm, StoreFields):
    email = EmailField(_l("E-mail"), validators=EMAIL)
    password = PasswordField(_l("Password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Confirm the password"), validators=[SAME_PASSWORD])


class TenantForm(FlaskForm, StoreFields):
    pass


class AlertsForm(FlaskForm):
    webhook_url = StringField(_l("Alert webhook URL"),
                              validators=[Optional(), Length(max=500),
                                          URL(require_tld=False, message=_l("Enter a full URL."))],
                              description=_l("Optional. Each alert (an order not integrated, a key refused, prices "
                                             "held) is sent there as it happens, as JSON signed with HMAC-SHA256 in "
                                             "the X-Conector-Signature header. Empty to stop."))


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    password = PasswordField(_l("New password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Confirm the new password"), validators=[SAME_PASSWORD])


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=EMAIL)
    role = SelectField(_l("Role"), choices=[(r, ROLE_NAMES[r]) for r in ROLES if r != "owner"]
                       + [("owner", ROLE_NAMES["owner"])], default="viewer",
                       description=_l("owner and admin change settings; viewer only looks."))


class AcceptInviteForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=NEW_PASSWORD)
    confirm = PasswordField(_l("Confirm the password"), validators=[SAME_PASSWORD])
