from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import URL, Email, EqualTo, InputRequired, Length, Optional, Regexp

from saas.tenants.models import ROLES

SLUG_RULE = Regexp(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$",
                   message="Use 3 to 63 lower-case letters, digits and hyphens, e.g. loja-centro.")
EMAIL = [InputRequired(), Email(message="Enter a valid e-mail address."), Length(max=254)]
NEW_PASSWORD = [InputRequired(), Length(min=10, max=200, message="Use at least 10 characters.")]


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=EMAIL)
    password = PasswordField("Senha", validators=[InputRequired()])


class StoreFields:
    """The fields of a VTEX store (a tenant), shared by sign-up and “new store”."""

    name = StringField("Nome da loja", validators=[InputRequired(), Length(max=120)],
                       description="How the store appears in the portal.")
    slug = StringField("Identificador", validators=[InputRequired(), SLUG_RULE],
                       description="Used in the portal's addresses and in the freight URL given to the marketplaces.")
    vtex_account = StringField("Conta VTEX (accountName)",
                               validators=[InputRequired(), Regexp(r"^[a-zA-Z0-9-]{2,63}$",
                                                                   message="The VTEX account name, e.g. minhaloja.")],
                               description="The account name in https://{account}.vtexcommercestable.com.br.")
    store_label = StringField("Loja do multiloja", validators=[Optional(), Length(max=120)],
                              description="For a multistore: which store this is (e.g. Loja B).")
    vtex_app_key = StringField("VTEX App Key", validators=[Optional(), Length(max=200)],
                               description="An app key with the Catalog, Checkout, OMS and Logistics roles.")
    vtex_app_token = PasswordField("VTEX App Token", validators=[Optional(), Length(max=400)],
                                   description="Stored encrypted. Leave empty to keep the stored token.")
    vtex_base_url = StringField("URL da VTEX (opcional)",
                                validators=[Optional(), URL(require_tld=False, message="Enter a full URL.")],
                                description="Leave empty for VTEX's production host; set only for the sandbox.")


class SignupForm(FlaskForm, StoreFields):
    email = EmailField("E-mail", validators=EMAIL)
    password = PasswordField("Senha", validators=NEW_PASSWORD)
    confirm = PasswordField("Confirme a senha", validators=[EqualTo("password", message="The passwords differ.")])


class TenantForm(FlaskForm, StoreFields):
    pass


class PasswordChangeForm(FlaskForm):
    current = PasswordField("Senha atual", validators=[InputRequired()])
    password = PasswordField("Nova senha", validators=NEW_PASSWORD)
    confirm = PasswordField("Confirme a nova senha",
                            validators=[EqualTo("password", message="The passwords differ.")])


class InviteForm(FlaskForm):
    email = EmailField("E-mail", validators=EMAIL)
    role = SelectField("Papel", choices=[(r, r) for r in ROLES if r != "owner"] + [("owner", "owner")],
                       default="viewer",
                       description="owner and admin change settings; viewer only looks.")


class AcceptInviteForm(FlaskForm):
    password = PasswordField("Senha", validators=NEW_PASSWORD)
    confirm = PasswordField("Confirme a senha", validators=[EqualTo("password", message="The passwords differ.")])
