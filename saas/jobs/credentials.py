"""The daily check of each active (tenant, marketplace)'s key: an expired key would otherwise stop the sync in
silence."""
from saas import bridge
from saas.connectors.base import AuthError, RetryableError
from saas.mail import send_mail
from saas.tenants.settings import build_connector


def check_credentials(tenant, row) -> str:
    connector = build_connector(tenant, row.connector_key, row)
    try:
        account = connector.check_credentials()
    except AuthError as exc:
        bridge.record(tenant.id, "integration", connector.key, "warning",
                      f"{connector.name} rejected the {connector.credentials_label}: {exc.message}. "
                      f"Generate a new key in {connector.name}'s portal and save it in the settings.")
        email = row.settings.get("notification_email")
        if email:
            send_mail(email, f"[{tenant.display_name}] {connector.name}: a chave de API foi recusada",
                      f"{connector.name} recusou a {connector.credentials_label} da loja {tenant.display_name} "
                      f"({exc.message}).\n"
                      "Until a new key is saved, products, prices, stock and orders are not synchronised.\n"
                      f"Gere uma nova chave no portal do {connector.name} e salve-a nas configurações da "
                      "integração.")
        return "rejected"
    except RetryableError as exc:
        bridge.record(tenant.id, "integration", connector.key, "warning",
                      f"The daily credentials check could not reach {connector.name}: {exc.message}")
        return "unreachable"
    bridge.record(tenant.id, "integration", connector.key, "success",
                  f"{connector.credentials_label} accepted by {connector.name} (shop {account.shop_name}, "
                  f"id {account.shop_id}).")
    return "ok"
