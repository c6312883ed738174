"""Reading many SKUs from VTEX quickly and within its limits: SKU contexts in parallel, prices and stock through the
fulfillment simulation many SKUs per call, all paced by a rate limit shared (in Redis) by every worker."""
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from saas.integration_errors import IntegrationError, PermanentError
from saas.vtex.client import VtexClient

log = logging.getLogger(__name__)
SIMULATION_CHUNK = 50  # SKUs per simulation call


class Pacer:
    """At most ``rate`` calls (e.g. "240/second") per VTEX account and endpoint, across processes."""

    def __init__(self, rate: str, account: str):
        app = current_app._get_current_object()
        if "vtex_pacer" not in app.extensions:
            app.extensions["vtex_pacer"] = MovingWindowRateLimiter(storage_from_string(app.config["REDIS_URL"]))
        self.limiter, self.item, self.account = app.extensions["vtex_pacer"], parse(rate), account

    def wait(self, endpoint: str) -> None:
        while not self.limiter.hit(self.item, "vtex", self.account, endpoint):
            time.sleep(0.02)


class VtexReader:
    def __init__(self, client: VtexClient, *, account: str, trade_policy: str, affiliate_id: str):
        config = current_app.config
        self.client, self.trade_policy, self.affiliate_id = client, trade_policy, affiliate_id
        self.pacer = Pacer(config["VTEX_CATALOG_RATE"], account)
        self.workers = config["VTEX_CONCURRENCY"]

    def sku_contexts(self, sku_ids: list[str]) -> tuple[dict[str, dict], dict[str, str], dict[str, str]]:
        """(contexts, missing: SKU → why VTEX has no such SKU, failed: SKU → a retryable failure)."""
        contexts, missing, failed = {}, {}, {}
        for part in self.sku_contexts_in_parts(sku_ids, max(len(sku_ids), 1)):
            contexts.update(part[0])
            missing.update(part[1])
            failed.update(part[2])
        return contexts, missing, failed

    def sku_contexts_in_parts(self, sku_ids: list[str], size: int):
        """As ``sku_contexts``, ``size`` SKUs at a time in their order; the reads go on at VTEX's rate while the
        caller handles a part, so what it does with a part costs no reading time."""

        def read(sku_id):  # where the answer goes: 0 contexts, 1 missing, 2 failed
            self.pacer.wait("sku")
            try:
                return 0, self.client.sku_context(sku_id, self.trade_policy)
            except PermanentError as exc:
                return 1, exc.message
            except IntegrationError as exc:
                return 2, exc.message

        pool = ThreadPoolExecutor(max_workers=self.workers)
        try:
            part = ({}, {}, {})
            for count, (sku_id, (kind, answer)) in enumerate(zip(sku_ids, pool.map(read, sku_ids), strict=True), 1):
                part[kind][sku_id] = answer
                if count % size == 0 or count == len(sku_ids):
                    yield part
                    part = ({}, {}, {})
        finally:
            pool.shutdown(cancel_futures=True)  # a caller that stops early leaves no reads behind

    def prices_and_stock(self, sku_ids: list[str]) -> tuple[dict[str, tuple[int, int, int]], dict[str, str]]:
        """SKU → (price in cents, stock, list price in cents) from the simulation without a CEP; SKUs it does not
        sell are absent. The second value lists the SKUs whose simulation failed and must wait for the next cycle."""
        found, failed = {}, {}

        def simulate(chunk):
            self.pacer.wait("simulation")
            try:
                body = self.client.simulate([(sku, 1) for sku in chunk], trade_policy=self.trade_policy,
                                            affiliate_id=self.affiliate_id)
            except IntegrationError as exc:
                failed.update({sku: exc.message for sku in chunk})
                return
            found.update(body.prices_and_stock())

        chunks = [sku_ids[i:i + SIMULATION_CHUNK] for i in range(0, len(sku_ids), SIMULATION_CHUNK)]
        self._parallel(simulate, chunks)
        return found, failed

    def _parallel(self, func, items):
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            list(pool.map(func, items))
