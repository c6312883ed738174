"""Pendências: everything of one store that waits for the merchant, on one page, each with what to do: prices held
by the drop guard, orders failing or retrying by cause, orders waiting for a decision or accepted before the store
connected, SKUs not ready by reason, and a key the marketplace refused. The header shows how many."""
from flask import Blueprint, g, render_template
from sqlalchemy import func

from saas.bridge import KEY_ACCEPTED, KEY_REFUSED
from saas.bridge.models import BridgeEntry
from saas.catalog import readiness
from saas.catalog.models import SkuBinding
from saas.connectors import get_connector_class
from saas.i18n import cause_words
from saas.orders.models import CAUSE_FIXES, CAUSES, MarketplaceOrder
from saas.tenants.models import ConnectorSettings, SettingsAudit
from saas.tenants.scoping import scoped
from saas.web.causes import failing_orders, orders_by_cause
from saas.web.tenant_context import attach_tenant

bp = Blueprint("pending", __name__, url_prefix="/t/<slug>/pending")
attach_tenant(bp)
HELD_SHOWN = 50
DECISIONS = ("awaiting_decision", "before_connection")  # orders only the merchant can move on


@bp.get("/")
def index():
    return render_template("pending/index.html", marketplaces=[_of_marketplace(key) for key in _active()],
                           failures=orders_by_cause(), causes=CAUSES, fixes=CAUSE_FIXES, decisions=_decisions())


def count() -> int:
    """What the header shows: the items waiting, each held price, order and SKU one (a refused key one too)."""
    keys = _active()
    if not keys:
        return 0
    bindings = scoped(SkuBinding).filter(SkuBinding.connector_key.in_(keys))
    return (bindings.filter(SkuBinding.held_price_cents.isnot(None)).count()
            + bindings.filter(SkuBinding.product_state == "not_ready").count()
            + scoped(MarketplaceOrder).filter(failing_orders() | MarketplaceOrder.status.in_(DECISIONS)).count()
            + sum(_key_refused(key) for key in keys))


def _active() -> list[str]:
    return [key for key, in scoped(ConnectorSettings).filter(ConnectorSettings.active.is_(True))
            .with_entities(ConnectorSettings.connector_key).order_by(ConnectorSettings.connector_key)
            if get_connector_class(key)]


def _of_marketplace(key: str) -> dict:
    bindings = scoped(SkuBinding, connector_key=key)
    held = bindings.filter(SkuBinding.held_price_cents.isnot(None))
    return {"key": key, "name": get_connector_class(key).name, "key_refused": _key_refused(key),
            "held_count": held.count(), "held": held.order_by(SkuBinding.sku_id).limit(HELD_SHOWN).all(),
            "not_ready": [(code, cause_words(words), n) for code, words, n in readiness.reasons(g.tenant, key)]}


def _decisions() -> dict[str, int]:
    return dict(scoped(MarketplaceOrder).filter(MarketplaceOrder.status.in_(DECISIONS))
                .with_entities(MarketplaceOrder.status, func.count()).group_by(MarketplaceOrder.status).all())


def _key_refused(key: str) -> bool:
    """The marketplace's last word on the key was a refusal, and no key was saved since."""
    last = scoped(BridgeEntry).filter(BridgeEntry.entity == "integration", BridgeEntry.entity_id == key) \
        .order_by(BridgeEntry.id.desc()).limit(20).all()
    verdict = next((e for e in last if e.details in (KEY_REFUSED, KEY_ACCEPTED)), None)
    if verdict is None or verdict.details != KEY_REFUSED:
        return False
    saved_since = scoped(SettingsAudit).filter(SettingsAudit.connector_key == key,
                                               SettingsAudit.created_at > verdict.created_at).all()
    field = get_connector_class(key).credentials_field
    return not any(field in audit.changes or audit.action == "activate" for audit in saved_since)
