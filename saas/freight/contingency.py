"""The contingency table: the store's own shipping prices and delays for every CEP range of Brazil
(``cep_ranges``) × weight band × mapped shipping type, from VTEX simulations, in a file the merchant gives the
marketplace for the times it stops waiting for the freight URL and uses its own table.

Each weight band is quoted with a SKU of the store in stock whose weight falls in it (read from VTEX: a sample of
the SKUs listed at the marketplace), so the price is the carriers' own for that weight; a band with no such SKU is
said so, not guessed. The simulations are paced by the same limit as every VTEX read; the progress is on the row,
for the Frete page to show while it builds.

The marketplace's own format for such a table is not public: the file has the columns a shipping-rate import takes
(range of CEPs, weight range, shipping type, price, delay), named in the merchant's language.
"""
import io
import logging

from flask_babel import gettext as _
from openpyxl import Workbook
from rq import Retry

from saas.catalog.models import SkuBinding
from saas.catalog.vtex_reads import VtexReader
from saas.exports import CsvWriter, xlsx_row
from saas.extensions import db
from saas.freight import quote
from saas.freight.cep_ranges import RANGES
from saas.freight.models import ContingencyTable
from saas.integration_errors import IntegrationError
from saas.jobs import locks
from saas.jobs.queues import enqueue, job
from saas.tenants.models import Tenant
from saas.tenants.scoping import scoped
from saas.timeutil import utcnow
from saas.vtex.client import VtexClient
from saas.vtex.sku_context import SkuContext

log = logging.getLogger(__name__)
BANDS_KG = ((0, 1), (1, 5), (5, 10), (10, 30))
SAMPLED = 200  # SKUs read from VTEX to find one of each weight band
PROGRESS_EVERY = 10


def request(tenant, connector_key: str) -> ContingencyTable:
    """A new table for the store's marketplace, built by a job; the one being built if there is one."""
    building = scoped(ContingencyTable, tenant, connector_key).filter(ContingencyTable.status == "building").first()
    if building is not None:
        return building
    table = ContingencyTable(tenant_id=tenant.id, connector_key=connector_key,
                             total=len(RANGES) * len(BANDS_KG), rows=[], samples={})
    db.session.add(table)
    db.session.commit()
    enqueue(build, table.id)
    return table


@job("default", 1800, Retry(max=2, interval=[0, 60]))
@locks.on_row(ContingencyTable, waiting=lambda table: table.status == "building",
              lock_name=lambda table: f"saas:lock:contingency:{table.tenant_id}:{table.connector_key}",
              busy="another worker is building it")
def build(table: ContingencyTable) -> str:
    tenant = db.session.get(Tenant, table.tenant_id)
    shop = quote.store(tenant.slug, table.connector_key)
    if shop is None or not shop.carriers:
        return _fail(table, _("The marketplace is not active, or no shipping type is mapped to a carrier."))
    reader = VtexReader(VtexClient.for_tenant(tenant), account=tenant.vtex_account,
                        trade_policy=shop.trade_policy, affiliate_id=shop.affiliate_id)
    samples = weight_samples(reader, tenant, table.connector_key)
    table.samples, table.rows, table.done = {str(i): s for i, s in enumerate(samples)}, [], 0
    db.session.commit()
    rows = []
    for cep_range in RANGES:
        for band, sample in zip(BANDS_KG, samples, strict=True):
            rows += _quoted(reader, shop, cep_range, band, sample)
            table.done += 1
            if table.done % PROGRESS_EVERY == 0:
                db.session.commit()
    table.rows, table.status, table.finished_at = rows, "done", utcnow()
    db.session.commit()
    return "done"


def _fail(table, reason: str) -> str:
    table.status, table.error, table.finished_at = "failed", reason, utcnow()
    db.session.commit()
    return "failed"


def weight_samples(reader, tenant, connector_key: str) -> list[dict | None]:
    """For each weight band, the SKU in stock whose weight is nearest the band's top (what the band's price
    covers): ``{"sku", "kg"}``; None when the store has none in that band."""
    skus = [sku for sku, in scoped(SkuBinding, tenant, connector_key).filter(
        SkuBinding.offer_state == "live", SkuBinding.quantity > 0).with_entities(SkuBinding.sku_id).limit(SAMPLED)]
    contexts, _missing, _failed = reader.sku_contexts(skus)
    weights = {sku: kg for sku, kg in ((sku, _kg(context)) for sku, context in contexts.items()) if kg}
    chosen = []
    for low, high in BANDS_KG:
        inside = [(kg, sku) for sku, kg in weights.items() if low < kg <= high]
        chosen.append({"sku": max(inside)[1], "kg": max(inside)[0]} if inside else None)
    return chosen


def _kg(context: dict) -> float | None:
    grams = SkuContext(context).weight_grams
    try:
        return float(grams) / 1000 if grams else None
    except (TypeError, ValueError):
        return None


def _quoted(reader, shop, cep_range, band, sample) -> list[dict]:
    """The rows of one range and band: each mapped shipping type the carriers serve there, or none."""
    if sample is None:
        return []
    reader.pacer.wait("simulation")
    try:
        simulation = reader.client.simulate([(sample["sku"], 1)], trade_policy=shop.trade_policy,
                                            affiliate_id=shop.affiliate_id, postal_code=cep_range.sample)
    except IntegrationError as exc:
        log.warning("contingency: %s %s not quoted: %s", cep_range.state, cep_range.sample, exc.message)
        return []
    return [{"state": cep_range.state, "area": cep_range.area, "first": cep_range.first, "last": cep_range.last,
             "kg_min": band[0], "kg_max": band[1], "shipping_type": option.shipping_type,
             "price_cents": option.price_cents, "days": option.delivery_days}
            for option in quote.options_from_simulation(simulation, shop.carriers, 1)]


def _header() -> list[str]:
    return [_("State"), _("Area"), _("First CEP"), _("Last CEP"), _("Weight from (kg)"), _("Weight up to (kg)"),
            _("Shipping type"), _("Price (R$)"), _("Delivery (business days)")]


def _cells(row: dict, decimal: str) -> list:
    area = _("capital") if row["area"] == "capital" else _("interior")
    price = f"{row['price_cents'] / 100:.2f}".replace(".", decimal)
    return [row["state"], area, f"{row['first'][:5]}-{row['first'][5:]}", f"{row['last'][:5]}-{row['last'][5:]}",
            row["kg_min"], row["kg_max"], row["shipping_type"], price, row["days"]]


def as_csv(table: ContingencyTable) -> str:
    """Semicolons and decimal commas, as a spreadsheet in Brazil reads them."""
    out = io.StringIO()
    writer = CsvWriter(out, delimiter=";")
    writer.writerow(_header())
    for row in table.rows:
        writer.writerow(_cells(row, ","))
    return out.getvalue()


def as_xlsx(table: ContingencyTable) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Shipping table"))
    sheet.append(xlsx_row(sheet, _header()))
    for row in table.rows:
        cells = _cells(row, ".")
        cells[7] = row["price_cents"] / 100
        sheet.append(xlsx_row(sheet, cells))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
