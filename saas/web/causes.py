"""What a cause of errors is told with: the settings change that came just before it started."""
from datetime import datetime, timedelta

from flask import g
from flask_babel import gettext as _
from sqlalchemy import and_, func

from saas.connectors import get_connector_class
from saas.orders.models import MarketplaceOrder, OrderAttempt
from saas.tenants.models import AUDIT_ACTIONS, SettingsAudit
from saas.tenants.scoping import scoped
from saas.tenants.settings import load_settings

CHANGE_WINDOW = timedelta(days=1)  # how far back a settings change still explains the first error of a cause
# The settings (names, or the start of their names) whose change can bring each cause of an order's failure. A cause
# not here (VTEX unavailable) is never blamed on a settings change.
ORDER_CAUSE_SETTINGS = {"shipping_unmapped": ("sla_",), "sla_unavailable": ("sla_",),
                        "price_divergence": ("divergence", "price_rules"), "out_of_stock": ("min_stock",),
                        "sku_not_found": ("trade_policy",)}
# What can make products and offers fail at the marketplace or in the diagnosis.
CATALOG_SETTINGS = ("trade_policy", "price_rules", "price_drop_guard", "min_stock", "certificate_specs",
                    "shop_key", "api_url")


def started_after(first: datetime | None, settings: tuple[str, ...]) -> str | None:
    """"Started 2 min after … changed …": the last change, in the day before ``first`` (the cause's first error), of
    one of the ``settings`` that can bring that cause, in words; None when there was none. Turning an integration on
    is never the explanation: every cause starts after it."""
    if not (first and settings):
        return None
    candidates = scoped(SettingsAudit).filter(SettingsAudit.created_at <= first,
                                              SettingsAudit.created_at >= first - CHANGE_WINDOW,
                                              SettingsAudit.action == "update") \
        .order_by(SettingsAudit.created_at.desc(), SettingsAudit.id.desc()).limit(20)
    change = next((c for c in candidates if any(name.startswith(settings) for name in c.changes)), None)
    if not change:
        return None
    cls = get_connector_class(change.connector_key)
    row = load_settings(g.tenant, change.connector_key)
    labels = {f.name: str(f.label) for f in cls.fields_for(row.settings if row else {})} if cls else {}
    names = [labels.get(name, name) for name in change.changes if name.startswith(settings)]
    fields = ", ".join(names[:3]) + (", …" if len(names) > 3 else "") or AUDIT_ACTIONS[change.action]
    return _("Started %(minutes)d min after %(who)s changed %(fields)s in %(marketplace)s's settings.",
             minutes=int((first - change.created_at).total_seconds() // 60),
             who=change.user.email if change.user else _("system"), fields=fields,
             marketplace=cls.name if cls else change.connector_key)


def failing_orders():
    """The condition of an order that needs its cause fixed: given up, or still retrying after a failure."""
    return and_(MarketplaceOrder.cause.isnot(None), MarketplaceOrder.status.in_(("failed", "importing")))


def orders_by_cause() -> list[dict]:
    """The store's failing orders by cause, most frequent first: how many gave up and how many are still retrying,
    what fixes the cause, and the settings change that came just before its first failure (or None)."""
    rows = scoped(MarketplaceOrder).filter(failing_orders()).with_entities(
        MarketplaceOrder.cause, func.count().filter(MarketplaceOrder.status == "failed"), func.count()) \
        .group_by(MarketplaceOrder.cause).order_by(func.count().desc()).all()
    return [{"cause": cause, "failed": failed, "retrying": total - failed, "total": total,
             "before": _change_before(cause)} for cause, failed, total in rows]


def _change_before(cause: str) -> str | None:
    first = scoped(OrderAttempt).join(MarketplaceOrder, MarketplaceOrder.id == OrderAttempt.order_id).filter(
        failing_orders(), MarketplaceOrder.cause == cause, OrderAttempt.cause == cause) \
        .with_entities(func.min(OrderAttempt.started_at)).scalar()
    return started_after(first, ORDER_CAUSE_SETTINGS.get(cause, ()))
