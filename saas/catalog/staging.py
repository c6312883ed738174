"""A product file too big for one run of the sync, read over several runs.

A marketplace may take one product import per quarter of an hour, so an initial load's 100,000 products
go in one file; reading their VTEX contexts takes minutes at VTEX's catalog rate. So a run that wants more products
than ``SYNC_STAGE_CHUNK`` (or cannot send them yet) reads one chunk of contexts, with their price and stock, into
``staged_product``, holds every product back, and answers that it has more to do: the next run queues behind what
is already queued, and one store's initial load never holds a worker for more than a chunk. Once every SKU is
staged, a run writes the product and offer files from the database alone. What was staged before its SKU's latest
change is read again.
"""
import json
from datetime import datetime

from sqlalchemy import Text, cast

from saas.catalog.models import StagedProduct
from saas.extensions import LOOKUP, among, db
from saas.tenants.scoping import scoped
from saas.timeutil import utcnow


class Staging:
    """The staged contexts of one (store, marketplace), and VTEX for what is not staged: what ``ProductReads``
    reads the product file from. ``received``: SKU → when its pending change arrived."""

    PART = LOOKUP  # SKUs of a chunk read, simulated and written together

    def __init__(self, tenant, connector_key: str, reader, chunk: int, received: dict[str, datetime]):
        self.tenant, self.connector_key, self.reader, self.chunk = tenant, connector_key, reader, chunk
        self.received = received
        self.prices: dict[str, tuple[int, int, int] | None] = {}  # what ``batches`` met staged (None: not sold)

    def read_ahead(self, plan) -> bool:
        """Stage one chunk of the products the plan wants when this run should not read them (more than a chunk,
        or the marketplace cannot take them yet); the plan then holds them back. Answers whether another run should
        follow at once."""
        may_go = bool(plan.products)
        unread = self._unstaged(plan.product_wanted)
        if not unread or (may_go and len(plan.product_wanted) <= self.chunk):
            return False
        staged = self._stage(unread[:self.chunk])
        plan.hold_products()
        # Nothing could be read (VTEX is down): the next cycle tries again, rather than a run at once.
        return staged > 0 and (may_go or len(unread) > self.chunk)

    def batches(self, sku_ids: list[str], size: int):
        """As ``VtexReader.sku_contexts``, about ``size`` SKUs at a time: the staged ones streamed from the database
        in one index range, then the others (and those staged before their latest change) read from VTEX."""
        wanted, found = set(sku_ids), set()
        contexts, missing = {}, {}
        for sku, text, why, staged_at, priced, price in self._staged():
            if sku not in wanted or staged_at < self.received.get(sku, staged_at):
                continue
            found.add(sku)
            if priced:
                self.prices[sku] = price if price[0] is not None else None
            context = json.loads(text) if text is not None else None  # a missing SKU's is SQL or JSON null
            if context is None:
                missing[sku] = why
            else:
                contexts[sku] = context
            if len(contexts) + len(missing) >= size:
                yield contexts, missing, {}
                contexts, missing = {}, {}
        if contexts or missing:
            yield contexts, missing, {}
        yield from self.reader.sku_contexts_in_parts([sku for sku in sku_ids if sku not in found], size)

    def prices_and_stock(self, sku_ids: list[str]) -> tuple[dict[str, tuple[int, int, int]], dict[str, str]]:
        """As ``VtexReader.prices_and_stock``: what ``batches`` met staged, and a simulation for the others."""
        found, failed = self.reader.prices_and_stock([sku for sku in sku_ids if sku not in self.prices])
        found.update({sku: self.prices[sku] for sku in sku_ids if self.prices.get(sku)})
        return found, failed

    def clear(self) -> None:
        """Forget the pair's staged contexts once its product file has gone: it carried every SKU still wanted."""
        scoped(StagedProduct, self.tenant, self.connector_key).delete(synchronize_session=False)
        db.session.commit()

    def _staged(self):
        # The context as text, decoded here: through the JSON type, 100,000 contexts took twice as long.
        rows = scoped(StagedProduct, self.tenant, self.connector_key).with_entities(
            StagedProduct.sku_id, cast(StagedProduct.context, Text), StagedProduct.missing, StagedProduct.staged_at,
            StagedProduct.priced, StagedProduct.price_cents, StagedProduct.quantity,
            StagedProduct.list_price_cents).yield_per(LOOKUP)
        for sku, text, missing, staged_at, priced, price, quantity, list_price in rows:
            yield sku, text, missing, staged_at, priced, (price, quantity, list_price)

    def _unstaged(self, sku_ids: list[str]) -> list[str]:
        if not sku_ids:
            return []
        staged = scoped(StagedProduct, self.tenant, self.connector_key).with_entities(
            StagedProduct.sku_id, StagedProduct.staged_at)  # all of them: one index range, not a hundred lookups
        fresh = {sku for sku, staged_at in staged if staged_at >= self.received.get(sku, staged_at)}
        return [sku for sku in sku_ids if sku not in fresh]

    def _stage(self, sku_ids: list[str]) -> int:
        """Read and write ``sku_ids`` a ``PART`` at a time, each simulated and written while the next is read (so a
        run lasts about its reads alone) and committed (a worker killed halfway loses one part)."""
        staged = 0
        for contexts, missing, _failed in self.reader.sku_contexts_in_parts(sku_ids, self.PART):
            prices, unpriced = self.reader.prices_and_stock(list(contexts)) if contexts else ({}, {})
            now = utcnow()
            rows = []
            for sku in [*contexts, *missing]:
                price, quantity, list_price = prices.get(sku, (None, None, None))
                rows.append({"tenant_id": self.tenant.id, "connector_key": self.connector_key, "sku_id": sku,
                             "context": contexts.get(sku), "missing": missing.get(sku), "staged_at": now,
                             "priced": sku in contexts and sku not in unpriced, "price_cents": price,
                             "quantity": quantity, "list_price_cents": list_price})
            if rows:  # a context staged before is replaced
                scoped(StagedProduct, self.tenant, self.connector_key).filter(
                    among(StagedProduct.sku_id, [r["sku_id"] for r in rows])).delete(synchronize_session=False)
                db.session.execute(StagedProduct.__table__.insert(), rows)
                db.session.commit()
            staged += len(rows)
        return staged
