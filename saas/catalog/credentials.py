"""The daily check of each active (tenant, marketplace)'s key: an expired key would otherwise stop the sync in
silence."""
from flask_babel import gettext as _

from saas import alerts, bridge
from saas.i18n import msg
from saas.integration_errors import AuthError, RetryableError
from saas.jobs.schedule import periodic
from saas.mail import send_mail
from saas.tenants.settings import build_connector


@periodic("credentials", "CREDENTIALS_CHECK_INTERVAL", "default")
def check_credentials(tenant, row) -> str:
    connector = build_connector(tenant, row.connector_key, row)
    try:
        account = connector.check_credentials()
    except AuthError as exc:
        bridge.record(tenant.id, "integration", connector.key, "warning",
                      msg("%(marketplace)s rejected the %(key_name)s: %(detail)s. Generate a new key in "
                          "%(marketplace)s's portal and save it in the settings.", marketplace=connector.name,
                          key_name=connector.credentials_label, detail=exc.said), details=bridge.KEY_REFUSED,
                      connector_key=connector.key)
        names = {"store": tenant.display_name, "marketplace": connector.name, "key_name": connector.credentials_label}
        subject = _("[%(store)s] %(marketplace)s: the API key was refused", **names)
        alerts.alert(tenant, "key_refused", subject, marketplace=connector.key, detail=exc.message)
        email = row.settings.get("notification_email")
        if email:
            send_mail(email, subject,
                      _("%(marketplace)s refused the %(key_name)s of the store %(store)s (%(detail)s).\n"
                        "Until a new key is saved, products, prices, stock and orders are not synchronised.\n"
                        "Generate a new key in %(marketplace)s's portal and save it in the integration's settings.",
                        detail=exc.said, **names))
        return "rejected"
    except RetryableError as exc:
        bridge.record(tenant.id, "integration", connector.key, "warning",
                      msg("The daily credentials check could not reach %(marketplace)s: %(detail)s",
                          marketplace=connector.name, detail=exc.said), connector_key=connector.key)
        return "unreachable"
    bridge.record(tenant.id, "integration", connector.key, "success",
                  msg("%(key_name)s accepted by %(marketplace)s (shop %(shop)s, id %(shop_id)s).",
                      key_name=connector.credentials_label, marketplace=connector.name, shop=account.shop_name,
                      shop_id=account.shop_id), details=bridge.KEY_ACCEPTED, connector_key=connector.key)
    return "ok"
