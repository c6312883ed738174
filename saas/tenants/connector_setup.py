"""Saving a store's settings for one marketplace, as the settings page submits them: an active integration is saved
only once the marketplace took the key, the key's shop belongs to no other store, and VTEX registered the affiliate;
turning it off deletes the affiliate and erases the stored key (the seed). Errors land on the form's fields."""
from saas.catalog import activation
from saas.connectors.base import AccountInfo, AuthError, IntegrationError
from saas.connectors.forms import secret_values
from saas.tenants.models import ConnectorSettings
from saas.tenants.settings import account_connected_elsewhere, build_connector, save_settings


def save(tenant, cls, form, row, user) -> list[str] | None:
    """Save what passed every check; the notices to show the merchant, or None when a check failed."""
    notices = []
    secrets = {**(row.secrets if row else {}), **secret_values(form)}
    settings = form.settings()
    was_active = bool(row and row.active)
    account = _activation_checks(tenant, cls, form, settings, secrets) if form.is_active else None
    if form.is_active and account is None:
        return None
    if form.is_active:
        notices.append(f"Chave verificada: loja “{account.shop_name}” (id {account.shop_id}).")
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
        notices.append(f"Carga inicial iniciada: todos os SKUs da política comercial serão enviados ao {cls.name}.")
    return notices + ["Configuração salva."]


def _activation_checks(tenant, cls, form, settings, secrets) -> AccountInfo | None:
    """The marketplace account the key opens, once the key, the shop and the affiliate passed every check; None
    (with the reason on its field) otherwise."""
    key_field = getattr(form, cls.credentials_field)
    if not secrets.get(cls.credentials_field):
        key_field.errors.append(f"An active integration needs the {key_field.label.text}.")
        return None
    connector = build_connector(tenant, cls.key, ConnectorSettings(settings=settings, secrets=secrets))
    try:
        account = connector.check_credentials()
    except AuthError as exc:
        key_field.errors.append(f"{cls.name} rejected this key ({exc.message}). Copy the key again from "
                                f"{cls.name}'s portal.")
        return None
    except IntegrationError as exc:
        key_field.errors.append(f"{cls.name} could not be reached to check the key ({exc.message}). "
                                "Check the API URL or try again.")
        return None
    if account_connected_elsewhere(tenant, cls.key, account.shop_id):
        key_field.errors.append(
            f"This key opens the {cls.name} shop {account.shop_id}, which is already connected to another store of "
            f"this portal. Each {cls.name} shop serves one VTEX store: use the key of this store's own shop.")
        return None
    affiliate = settings["affiliate_id"]
    if affiliate in activation.affiliate_ids_of_other_stores(tenant):
        form.affiliate_id.errors.append(
            f"Another store on the VTEX account {tenant.vtex_account} already uses the affiliate {affiliate}; "
            f"VTEX keeps one affiliate per id. Use {activation.free_affiliate_id(tenant, affiliate)}.")
        return None
    try:
        activation.register_affiliate(tenant, cls.key, settings)
    except IntegrationError as exc:
        form.affiliate_id.errors.append(
            f"VTEX did not register the affiliate ({exc.message}). Check the store's VTEX app key and token on "
            "the Loja page, and that the key may save affiliates.")
        return None
    return account
