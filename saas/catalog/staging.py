"""A product file too big for one run of the sync, read over several runs.

A marketplace may take one product import per quarter of an hour, so an initial load's 100,000 products
go in one file; reading their VTEX contexts takes minutes at VTEX's catalog rate. So a run that finds more unread
products than ``SYNC_STAGE_CHUNK`` reads one chunk of contexts into ``staged_product``, holds every product back,
and answers that it has more to do: the next run queues behind what is already queued, and one store's initial load
never holds a worker for more than a chunk. The run that finds at most one chunk left reads it and sends the file,
the staged contexts read back from the database. A context staged before its SKU's latest change is read again.
"""
from datetime import datetime, timedelta

from sqlalchemy import delete

from saas.catalog.models import StagedProduct
from saas.extensions import among, db
from saas.tenants.scoping import scoped
from saas.timeutil import utcnow

FORGOTTEN_AFTER = timedelta(days=1)  # a staged context no run came back for (its change is gone)
LOOKUP = 1000


class Staging:
    """The staged contexts of one (store, marketplace), and VTEX for what is not staged: what ``ProductReads``
    reads the product file from."""

    def __init__(self, tenant, connector_key: str, reader, chunk: int):
        self.tenant, self.connector_key, self.reader, self.chunk = tenant, connector_key, reader, chunk

    def read_ahead(self, plan, received: dict[str, datetime]) -> bool:
        """Stage one chunk of the products the plan wants when this run should not read them all (more than a
        chunk unread, or the marketplace cannot take them yet); the plan then holds them back. Answers whether
        another run should follow at once."""
        may_go = bool(plan.products)
        unread = self._unstaged(plan.product_wanted, received)
        if not unread or (may_go and len(unread) <= self.chunk):
            return False
        staged = self._stage(unread[:self.chunk])
        plan.hold_products()
        # Nothing could be read (VTEX is down): the next cycle tries again, rather than a run at once.
        return staged > 0 and (may_go or len(unread) > self.chunk)

    def sku_contexts(self, sku_ids: list[str]) -> tuple[dict[str, dict], dict[str, str], dict[str, str]]:
        """As ``VtexReader.sku_contexts``: the staged ones from the database, the others from VTEX."""
        contexts, missing = {}, {}
        for row in self._rows(sku_ids):
            if row.context is not None:
                contexts[row.sku_id] = row.context
            else:
                missing[row.sku_id] = row.missing
        rest = [sku for sku in sku_ids if sku not in contexts and sku not in missing]
        read, absent, failed = self.reader.sku_contexts(rest) if rest else ({}, {}, {})
        return {**contexts, **read}, {**missing, **absent}, failed

    def clear(self, sku_ids: list[str]) -> None:
        """Forget the contexts of products that went (or were found unsendable), and any nobody came back for."""
        table = StagedProduct.__table__
        mine = (table.c.tenant_id == self.tenant.id) & (table.c.connector_key == self.connector_key)
        for start in range(0, len(sku_ids), LOOKUP):
            db.session.execute(delete(table).where(mine, among(table.c.sku_id, sku_ids[start:start + LOOKUP])))
        db.session.execute(delete(table).where(mine, table.c.staged_at < utcnow() - FORGOTTEN_AFTER))
        db.session.commit()

    def _unstaged(self, sku_ids: list[str], received: dict[str, datetime]) -> list[str]:
        staged = scoped(StagedProduct, self.tenant, self.connector_key).with_entities(
            StagedProduct.sku_id, StagedProduct.staged_at)  # all of them: one index range, not a hundred lookups
        fresh = {sku for sku, staged_at in staged if staged_at >= received.get(sku, staged_at)}
        return [sku for sku in sku_ids if sku not in fresh]

    def _stage(self, sku_ids: list[str]) -> int:
        contexts, missing, _failed = self.reader.sku_contexts(sku_ids)
        now = utcnow()
        rows = [{"tenant_id": self.tenant.id, "connector_key": self.connector_key, "sku_id": sku,
                 "context": contexts.get(sku), "missing": missing.get(sku), "staged_at": now}
                for sku in sku_ids if sku in contexts or sku in missing]
        table = StagedProduct.__table__
        for start in range(0, len(rows), LOOKUP):  # a context staged before is replaced
            db.session.execute(delete(table).where(
                table.c.tenant_id == self.tenant.id, table.c.connector_key == self.connector_key,
                among(table.c.sku_id, [r["sku_id"] for r in rows[start:start + LOOKUP]])))
            db.session.execute(table.insert(), rows[start:start + LOOKUP])
        db.session.commit()
        return len(rows)

    def _rows(self, sku_ids: list[str]):
        query = scoped(StagedProduct, self.tenant, self.connector_key)
        for start in range(0, len(sku_ids), LOOKUP):
            yield from query.filter(among(StagedProduct.sku_id, sku_ids[start:start + LOOKUP]))
