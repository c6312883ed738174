"""The daily digest of one store's marketplace, to its notification e-mail: orders integrated and failed (by cause),
SKUs not ready (by reason) and products waiting for the marketplace's approval (and since when), over the last day.
A periodic job (``DIGEST_INTERVAL``), each store on its own phase of the day."""
from datetime import datetime, time, timedelta, timezone

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func

from saas.catalog import readiness
from saas.catalog.models import SkuBinding
from saas.connectors import get_connector_class
from saas.i18n import cause_words
from saas.jobs.schedule import periodic
from saas.mail import send_mail
from saas.orders.models import CAUSES, MarketplaceOrder
from saas.tenants.scoping import scoped
from saas.timeutil import MERCHANT_ZONE, local_time, start_of_local_day, utcnow


def facts(tenant, connector_key: str, now=None) -> dict:
    """What the digest says, as numbers; on the first of a month (Brasília), the past month's orders that came while
    the safety stock covered the store too."""
    now = now or utcnow()
    since = now - timedelta(days=1)
    orders = scoped(MarketplaceOrder, tenant, connector_key)
    failed = orders.filter(MarketplaceOrder.status == "failed", MarketplaceOrder.updated_at >= since) \
        .with_entities(MarketplaceOrder.cause, func.count()).group_by(MarketplaceOrder.cause) \
        .order_by(func.count().desc()).all()
    pending = scoped(SkuBinding, tenant, connector_key).filter(SkuBinding.product_state == "pending") \
        .with_entities(func.count(), func.min(SkuBinding.product_sent_at)).one()
    month = _month_before(now)
    covered = month and orders.filter(MarketplaceOrder.safety_covered.is_(True),
                                      MarketplaceOrder.created_at >= month[0],
                                      MarketplaceOrder.created_at < month[1]).count()
    return {"safety_month": covered if month else None,
            "integrated": orders.filter(MarketplaceOrder.status == "imported",
                                        MarketplaceOrder.updated_at >= since).count(),
            "failed": [(cause or "", count) for cause, count in failed],
            "not_ready": readiness.reasons(tenant, connector_key),
            "awaiting_approval": pending[0], "waiting_since": pending[1]}


def _month_before(now) -> tuple | None:
    """On the first of a month in Brasília, the past month as (start, end) in stored (naive UTC) times."""
    local = now.replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE)
    if local.day != 1:
        return None
    first = (local.date() - timedelta(days=1)).replace(day=1)
    start = datetime.combine(first, time(), MERCHANT_ZONE).astimezone(timezone.utc).replace(tzinfo=None)
    return start, start_of_local_day(now)


@periodic("digest", "DIGEST_INTERVAL", "default", waits_first=True)
def send_digest(tenant, row) -> dict:
    """The digest of the last day, by mail; answers its figures (nothing is sent without a notification e-mail)."""
    found = facts(tenant, row.connector_key)
    email = row.settings.get("notification_email")
    if email:
        send_mail(email, *written(tenant, row.connector_key, found))
    return {"integrated": found["integrated"], "failed": sum(n for _cause, n in found["failed"]),
            "not_ready": sum(n for _code, _key, n in found["not_ready"]), "mailed": bool(email)}


def written(tenant, connector_key: str, found: dict | None = None) -> tuple[str, str]:
    """The digest as it is mailed: its subject and its text (the figures of the last day unless given)."""
    marketplace = get_connector_class(connector_key).name
    found = found if found is not None else facts(tenant, connector_key)
    return (_("[%(store)s] %(marketplace)s: the day's summary", store=tenant.display_name, marketplace=marketplace),
            _body(found, marketplace))


def _body(found: dict, marketplace: str) -> str:
    lines = [ngettext("%(num)d order integrated into VTEX in the last 24 hours.",
                      "%(num)d orders integrated into VTEX in the last 24 hours.", found["integrated"])]
    failed = sum(n for _cause, n in found["failed"])
    lines.append(ngettext("%(num)d order failed:", "%(num)d orders failed:", failed) if failed else
                 _("No order failed."))
    lines += [f"  - {CAUSES[cause]}: {count}" for cause, count in found["failed"]]
    not_ready = sum(n for _code, _key, n in found["not_ready"])
    lines.append(ngettext("%(num)d SKU not ready (not sent until fixed at VTEX):",
                          "%(num)d SKUs not ready (not sent until fixed at VTEX):", not_ready) if not_ready else
                 _("Every SKU sent is ready."))
    lines += [f"  - {cause_words(key)}: {count}" for _code, key, count in found["not_ready"]]
    if found["awaiting_approval"]:
        lines.append(ngettext("%(num)d product awaiting %(marketplace)s's approval, the oldest since %(since)s.",
                              "%(num)d products awaiting %(marketplace)s's approval, the oldest since %(since)s.",
                              found["awaiting_approval"], marketplace=marketplace,
                              since=local_time(found["waiting_since"]) if found["waiting_since"] else "—"))
    if found["safety_month"] is not None:
        lines.append(ngettext(
            "Safety stock, last month: %(num)d order came when VTEX had fewer units than %(marketplace)s would "
            "have shown without it; without it, %(marketplace)s could have sold what the store no longer had.",
            "Safety stock, last month: %(num)d orders came when VTEX had fewer units than %(marketplace)s would "
            "have shown without it; without it, %(marketplace)s could have sold what the store no longer had.",
            found["safety_month"], marketplace=marketplace))
    lines.append(_("Failed orders and SKUs not ready are grouped by cause in the portal, with what fixes each."))
    return "\n".join(lines)
