"""The dashboard's charts of the last 14 days, by Brasília day: orders by state, the p95 time from a change at VTEX
to its offer accepted by the marketplace, and errors by cause. Counted in SQL per day; only the offer imports of the
period are read row by row, for their percentile."""
import math
from collections import defaultdict
from datetime import timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import func, literal_column

from saas.bridge.models import BridgeEntry
from saas.catalog.models import ImportBatch
from saas.extensions import db
from saas.i18n import cause_words
from saas.orders.models import STATUS_LABELS, MarketplaceOrder
from saas.tenants.scoping import scoped
from saas.timeutil import MERCHANT_ZONE, start_of_local_day, utcnow
from saas.web import charts

DAYS = 14
CAUSES_SHOWN = 4
# Orders by how they ended up, each a colour of the chart; the rest are on their way.
ORDER_GROUPS = (("imported", ("imported",), "green"), ("failed", ("failed",), "red"),
                ("cancelled", ("cancelled", "refused"), "muted"))


def dashboard_charts() -> list[charts.Chart]:
    start = start_of_local_day() - timedelta(days=DAYS - 1)
    days = [(start + timedelta(days=n, hours=12)).replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE)
            .strftime("%Y-%m-%d") for n in range(DAYS)]
    labels = [f"{day[8:]}/{day[5:7]}" for day in days]
    return [_orders(days, labels, start), _freshness(days, labels, start), _errors(days, labels, start)]


def _local_day(column):
    """The Brasília date of a stored (naive UTC) time, as 'YYYY-MM-DD', in the database's own SQL."""
    hours = int(utcnow().replace(tzinfo=timezone.utc).astimezone(MERCHANT_ZONE).utcoffset().total_seconds() // 3600)
    if db.engine.dialect.name == "postgresql":
        return func.to_char(column + literal_column(f"interval '{hours} hours'"), "YYYY-MM-DD")
    return func.date(column, f"{hours:+d} hours")


def _orders(days, labels, start) -> charts.Chart:
    day = _local_day(MarketplaceOrder.created_at)
    counts = defaultdict(int)
    for on, status, count in scoped(MarketplaceOrder).filter(MarketplaceOrder.created_at >= start) \
            .with_entities(day, MarketplaceOrder.status, func.count()).group_by(day, MarketplaceOrder.status):
        group = next((name for name, statuses, _c in ORDER_GROUPS if status in statuses), "other")
        counts[(on, group)] += count
    series = [charts.Series(STATUS_LABELS[name], [counts[(d, name)] for d in days], colour)
              for name, _statuses, colour in ORDER_GROUPS]
    series.append(charts.Series(_("on their way"), [counts[(d, "other")] for d in days], "blue"))
    return charts.stacked(_("Orders per day, by state"), labels, series, label_every=2)


def _freshness(days, labels, start) -> charts.Chart:
    delays = defaultdict(list)
    for on, changed, checked in scoped(ImportBatch).filter(
            ImportBatch.kind == "offer", ImportBatch.status == "complete", ImportBatch.created_at >= start,
            ImportBatch.changed_at.isnot(None), ImportBatch.checked_at.isnot(None)) \
            .with_entities(_local_day(ImportBatch.created_at), ImportBatch.changed_at, ImportBatch.checked_at):
        delays[on].append((checked - changed).total_seconds() / 60)
    return charts.stacked(_("From a change at VTEX to its offer accepted (p95, minutes)"), labels,
                          [charts.Series("p95", [round(_p95(delays[d]), 1) for d in days], "violet")],
                          label_every=2)


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def _errors(days, labels, start) -> charts.Chart:
    day = _local_day(BridgeEntry.created_at)
    counts, totals = defaultdict(int), defaultdict(int)
    for on, message, count in scoped(BridgeEntry).filter(BridgeEntry.created_at >= start,
                                                         BridgeEntry.status == "error") \
            .with_entities(day, BridgeEntry.message, func.count()).group_by(day, BridgeEntry.message):
        counts[(on, message)] += count
        totals[message] += count
    shown = sorted(totals, key=totals.get, reverse=True)[:CAUSES_SHOWN]
    series = [charts.Series(cause_words(message)[:80], [counts[(d, message)] for d in days],
                            charts.COLOURS[(index + 2) % len(charts.COLOURS)]) for index, message in enumerate(shown)]
    others = [sum(n for (on, message), n in counts.items() if on == d and message not in shown) for d in days]
    if any(others):
        series.append(charts.Series(_("other causes"), others, "muted"))
    return charts.stacked(_("Errors per day, by cause"), labels, series, label_every=2)
