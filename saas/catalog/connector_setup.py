"""Saving a store's settings for one marketplace, as the settings page submits them: an active integration is saved
only once the marketplace took the key, the key's shop belongs to no other store, and VTEX registered the affiliate;
turning it off deletes the affiliate and erases the stored key (the seed). Errors land on the form's fields."""
from flask_babel import gettext as _

from saas.catalog import activation
from saas.connectors.base import AccountInfo
from saas.connectors.forms import secret_values
from saas.egress import outcome
from saas.integration_errors import AuthError, IntegrationError
from saas.tenants.models import ConnectorSettings
from saas.tenants.settings import account_connected_elsewhere, build_connector, save_settings


def save(tenant, cls, form, row, user) -> list[str] | None:
    """Save what passed every check; the notices to show the merchant, or None when a check failed."""
    notices = []
    secrets = {**(row.secrets if row else {}), **secret_values(form)}
    stored = dict(row.settings) if row else {}
    settings = {**stored, **form.settings()}  # what other pages keep here (price rules) and the marketplace told
    if cls.discovered_settings and secrets.get(cls.credentials_field):
        discovered = _discover(tenant, cls, form, settings, secrets)
        if discovered is None:
            return None
        if cls.shipping_types_for(discovered) != cls.shipping_types_for(settings):
            notices.append(_("Shipping types read from %(marketplace)s: %(types)s. Map them to VTEX carriers below.",
                             marketplace=cls.name,
                             types=", ".join(label for _name, label in cls.shipping_types_for(discovered))))
        settings.update(discovered)
    was_active = bool(row and row.active)
    account = _activation_checks(tenant, cls, form, settings, secrets) if form.is_active else None
    if form.is_active and account is None:
        return None
    if form.is_active:
        notices.append(_("Key verified: shop “%(shop)s” (id %(shop_id)s).", shop=account.shop_name,
                         shop_id=account.shop_id))
    if was_active and not form.is_active:
        activation.deactivate(tenant, cls.key, row.settings)
        secrets = {}
    action = "activate" if form.is_active and not was_active else (
        "deactivate" if was_active and not form.is_active else "update")
    save_settings(tenant, cls.key, active=form.is_active, settings=settings, secrets=secrets, user=user,
                  action=action, account_id=account.shop_id if account else None)
    trade_policy_changed = row is not None and row.settings.get("trade_policy") != settings["trade_policy"]
    if action == "activate" or (form.is_active and trade_policy_changed):
        activation.start_initial_load(tenant, cls.key)
        notices.append(_("Initial load started: every SKU of the trade policy is sent to %(marketplace)s.",
                         marketplace=cls.name))
    return notices + [_("Settings saved.")]


def _discover(tenant, cls, form, settings, secrets) -> dict | None:
    """What the marketplace tells of itself with the key; None (with the reason on the key's field) when it could
    not be asked."""
    connector = build_connector(tenant, cls.key, ConnectorSettings(settings=settings, secrets=secrets))
    try:
        return connector.discover_settings()
    except IntegrationError as exc:
        _key_refused(cls, form, exc)
        return None


def _key_refused(cls, form, exc: IntegrationError) -> None:
    """The reason on the field to fix, in a fixed sentence: the marketplace's address is the merchant's to type, so
    its answer is never shown."""
    if isinstance(exc, AuthError):
        getattr(form, cls.credentials_field).errors.append(
            _("%(marketplace)s rejected this key. Copy the key again from %(marketplace)s's portal.",
              marketplace=cls.name))
    else:
        address = getattr(form, "api_url", None) or getattr(form, cls.credentials_field)
        address.errors.append(outcome(exc))


def _activation_checks(tenant, cls, form, settings, secrets) -> AccountInfo | None:
    """The marketplace account the key opens, once the key, the shop and the affiliate passed every check; None
    (with the reason on its field) otherwise."""
    key_field = getattr(form, cls.credentials_field)
    if not secrets.get(cls.credentials_field):
        key_field.errors.append(_("An active integration needs the %(key_name)s.", key_name=key_field.label.text))
        return None
    connector = build_connector(tenant, cls.key, ConnectorSettings(settings=settings, secrets=secrets))
    try:
        account = connector.check_credentials()
    except IntegrationError as exc:
        _key_refused(cls, form, exc)
        return None
    if account_connected_elsewhere(tenant, cls.key, account.shop_id):
        key_field.errors.append(
            _("This key opens the %(marketplace)s shop %(shop_id)s, which is already connected to another store "
              "of this portal. Each %(marketplace)s shop serves one VTEX store: use the key of this store's own "
              "shop.", marketplace=cls.name, shop_id=account.shop_id))
        return None
    affiliate = settings["affiliate_id"]
    if affiliate in activation.affiliate_ids_taken(tenant, cls.key):
        form.affiliate_id.errors.append(
            _("Another integration on the VTEX account %(account)s (another store, or another marketplace of this "
              "one) already uses the affiliate %(affiliate)s; VTEX keeps one affiliate per id. Use %(free)s.",
              account=tenant.vtex_account, affiliate=affiliate,
              free=activation.free_affiliate_id(tenant, cls.key, affiliate)))
        return None
    try:
        activation.register_affiliate(tenant, cls.key, settings)
    except IntegrationError as exc:
        form.affiliate_id.errors.append(
            _("VTEX did not register the affiliate: %(outcome)s Check the store's VTEX app key and token on the "
              "Store page, and that the key may save affiliates.", outcome=outcome(exc)))
        return None
    return account
