"""VTEX data → a Mirakl operator's files, and its orders → the platform's: pure functions, tested with plain data.

A product template is operator-specific (its PM11 attributes); the columns below carry what VTEX's own Carrefour
connector sends: title, description, brand, category, EAN, images, weight and dimensions, the variant attributes
Carrefour accepts (Cor, Tamanho, Voltagem) and the certificate codes (ANATEL, INMETRO, ANVISA, MAPA).
Files are semicolon-separated, every field quoted, UTF-8, prices with a dot and two decimals.
"""
import csv
import io
import re
import tempfile
from decimal import Decimal

from saas.connectors.base import Address, CatalogItem, MarketplaceOffer, OrderData, OrderLine
from saas.i18n import Text, msg
from saas.text import plain
from saas.vtex.sku_context import SkuContext

VARIANT_AXES = ("Cor", "Tamanho", "Voltagem")
CERTIFICATES = ("ANATEL", "INMETRO", "ANVISA", "MAPA")
DEFAULT_CERTIFICATE_SPECS = {name: f"Certificado {name}" for name in CERTIFICATES}
MAX_IMAGES = 5
# The categories each certificate is asked for, by words of their names [I: Carrefour publishes no list; these are
# the Brazilian regulators' usual scopes: telecom; electrical goods and toys; health and cosmetics; animal and farm].
CERTIFIED_CATEGORIES = {
    "ANATEL": ("celular", "smartphone", "telefon", "roteador", "rádio", "tablet"),
    "INMETRO": ("eletroport", "eletrodom", "brinquedo", "capacete", "lâmpada"),
    "ANVISA": ("cosmét", "perfum", "higiene", "saúde", "suplemento", "maquiagem"),
    "MAPA": ("pet", "ração", "agro", "semente", "fertiliz"),
}
PRODUCT_HEADER = (["sku", "ean", "title", "description", "brand", "category", "category-label"]
                  + [f"image-{n}" for n in range(1, MAX_IMAGES + 1)]
                  + ["weight", "height", "width", "length"]
                  + [axis.lower() for axis in VARIANT_AXES] + [c.lower() for c in CERTIFICATES])
OFFER_HEADER = ["sku", "product-id", "product-id-type", "price", "quantity", "state", "update-delete", "discount-price"]
OFFER_STATE_NEW = "11"  # Mirakl's offer condition code for a new item
_TAGS = re.compile(r"<[^>]+>")


class RowError(ValueError):
    """This SKU cannot go to the marketplace as it is; the message says what the merchant must fix at VTEX."""

    def __init__(self, message: Text):
        super().__init__(message.key)
        self.message = message


def product_row(item: CatalogItem, certificate_specs: dict[str, str] | None = None) -> list[str]:
    """One product line; raises RowError when the marketplace would refuse it (no EAN, no title, no image)."""
    sku = SkuContext(item.context)
    ean = sku.ean
    if not (ean.isdigit() and len(ean) in (8, 12, 13, 14)):
        raise RowError(msg("The SKU has no valid EAN at VTEX (the marketplace identifies products by EAN)."))
    title = sku.title
    if not title:
        raise RowError(msg("The SKU has no name at VTEX."))
    images = sku.images
    if not images:
        raise RowError(msg("The SKU has no image at VTEX (the marketplace requires at least one)."))
    dimension = sku.dimension
    mapping = {**DEFAULT_CERTIFICATE_SPECS, **(certificate_specs or {})}
    description = _TAGS.sub(" ", sku.description).strip() or title
    return ([item.sku_id, ean, title, " ".join(description.split()), sku.brand, sku.category_id, sku.category_name]
            + (images + [""] * MAX_IMAGES)[:MAX_IMAGES]
            + [_number(dimension.get(k)) for k in ("weight", "height", "width", "length")]
            + [sku.specification_text(axis) for axis in VARIANT_AXES]
            + [sku.specification_text(mapping.get(cert, "")) for cert in CERTIFICATES])


def offer_row(item: CatalogItem, min_stock: int = 0) -> list[str]:
    """One offer line: price (de/por when the list price is higher) and stock, quantity 0 at or below the minimum
    stock; a withdrawal deletes the offer."""
    if item.withdraw:  # a deletion names the offer by its SKU alone
        return [item.sku_id, item.ean or "", "EAN" if item.ean else "", "", "", OFFER_STATE_NEW, "delete", ""]
    if not item.ean:
        raise RowError(msg("The SKU has no EAN at VTEX, so its offer cannot be matched to a product of the "
                           "marketplace."))
    if not item.price_cents or item.price_cents <= 0:
        raise RowError(msg("The SKU has no price in the trade policy (the VTEX simulation returned none)."))
    # De/por: a list price above the price goes as the offer's price, the price as its discount price.
    listed = item.list_price_cents if item.list_price_cents and item.list_price_cents > item.price_cents else None
    return [item.sku_id, item.ean, "EAN", reais(listed or item.price_cents),
            str(offered_quantity(item.quantity, min_stock)), OFFER_STATE_NEW, "update",
            reais(item.price_cents) if listed else ""]


# What the reconciliation reads of each offer in OF52's export, by the names OF52 gives its fields.
EXPORT_FIELDS = ["shop-sku", "price", "quantity", "active", "deleted"]


def exported_offers(rows) -> list[MarketplaceOffer]:
    """One file of OF52's JSON export as offers; rows without a SKU or deleted offers are left out, a price or
    quantity that is not a number reads as none."""
    offers = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not str(row.get("shop-sku") or "").strip() or row.get("deleted") is True:
            continue
        price = _cents_or_none(row.get("price"))
        try:
            quantity = max(int(row.get("quantity") or 0), 0)
        except (TypeError, ValueError):
            quantity = 0
        offers.append(MarketplaceOffer(str(row["shop-sku"]).strip(), price, quantity, row.get("active") is not False))
    return offers


def _cents_or_none(value) -> int | None:
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal("1"))) if value not in (None, "") else None
    except ArithmeticError:
        return None


def offered_quantity(quantity: int | None, min_stock: int) -> int:
    return quantity if quantity and quantity > min_stock else 0


def reais(cents: int) -> str:
    return str((Decimal(int(cents)) / 100).quantize(Decimal("0.01")))


def _number(value) -> str:
    if value in (None, ""):
        return ""
    return format(Decimal(str(value)).normalize(), "f")


def write_csv(header: list[str], rows) -> tempfile.SpooledTemporaryFile:
    """The rows as a Mirakl CSV in a temporary file (in memory while small, on disk beyond), rewound."""
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024, mode="w+b")
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, delimiter=";", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    text.detach()
    spool.seek(0)
    return spool


class _Semicolon(csv.excel):
    delimiter = ";"


SKU_COLUMNS = ("sku", "shop-sku", "shop_sku", "offer-sku", "offer_sku", "product-sku", "product_sku")
MESSAGE_COLUMNS = ("error-message", "error_message", "errors", "error", "message", "messages")


def parse_error_report(content: bytes) -> dict[str, str]:
    """SKU → the marketplace's message, from an error report whose exact layout varies: the delimiter is sniffed, the
    SKU and message columns are found by name, else (no header) the first and the last column are taken."""
    text = content.decode("utf-8-sig", errors="replace")
    if not text.strip():
        return {}
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,\t")
    except csv.Error:
        dialect = _Semicolon
    rows = list(csv.reader(io.StringIO(text), dialect))
    header = [h.strip().lower() for h in rows[0]]
    named = any(c in header for c in SKU_COLUMNS + MESSAGE_COLUMNS)
    sku_at = next((header.index(c) for c in SKU_COLUMNS if c in header), 0)
    message_at = next((header.index(c) for c in MESSAGE_COLUMNS if c in header), len(header) - 1)
    errors = {}
    for row in rows[1:] if named else rows:
        if len(row) > max(sku_at, message_at) and row[sku_at].strip():
            errors[row[sku_at].strip()] = row[message_at].strip() or msg("The marketplace refused this line.")
    return errors


# -- orders: Mirakl → the platform ---------------------------------------------------------------------------------
ORDER_STATES = {"STAGING": "new", "WAITING_ACCEPTANCE": "waiting_acceptance", "WAITING_DEBIT": "waiting_payment",
                "WAITING_DEBIT_PAYMENT": "waiting_payment", "SHIPPING": "paid", "SHIPPED": "shipped",
                "TO_COLLECT": "shipped", "RECEIVED": "shipped", "CLOSED": "shipped", "REFUSED": "cancelled",
                "CANCELED": "cancelled"}
DOCUMENT_FIELDS = ("cpf", "cnpj", "cpf-cnpj", "cpf_cnpj", "document", "documento")
NUMBER_FIELDS = ("numero", "número", "number", "address-number")
NEIGHBORHOOD_FIELDS = ("bairro", "neighborhood", "district")


def cents(amount) -> int:
    return int((Decimal(str(amount or 0)) * 100).quantize(Decimal("1")))


def order_from_mirakl(raw: dict) -> OrderData:
    """OR11's order as the platform's OrderData. CPF/CNPJ, address number and neighbourhood come from the order's
    additional fields when the operator sends them, otherwise from the street line ("Rua X, 123")."""
    extra = {str(f.get("code", "")).lower(): str(f.get("value") or "")
             for f in raw.get("order_additional_fields") or []}
    customer = raw.get("customer") or {}
    shipping = customer.get("shipping_address") or {}
    street, _, street_number = (shipping.get("street_1") or "").partition(",")
    lines = tuple(OrderLine(line_id=str(line["order_line_id"]), sku_id=str(line["offer_sku"]),
                            quantity=int(line["quantity"]), unit_price_cents=cents(line["price_unit"]),
                            title=line.get("product_title") or "")
                  for line in raw.get("order_lines") or [])
    refused = {str(line["order_line_id"]) for line in raw.get("order_lines") or []
               if line.get("order_line_state") == "REFUSED"}
    address = Address(
        receiver=" ".join(filter(None, (shipping.get("firstname"), shipping.get("lastname")))),
        postal_code="".join(ch for ch in shipping.get("zip_code") or "" if ch.isdigit()),
        street=street.strip(), number=_first(extra, NUMBER_FIELDS) or street_number.strip() or "s/n",
        complement=shipping.get("street_2") or "", neighborhood=_first(extra, NEIGHBORHOOD_FIELDS) or "",
        city=shipping.get("city") or "", state=shipping.get("state") or "",
        country=shipping.get("country_iso_code") or "BRA") if shipping else None
    return OrderData(
        order_id=str(raw["order_id"]), state=ORDER_STATES.get(raw.get("order_state"), "other"),
        marketplace_state=raw.get("order_state", ""), updated_at=raw.get("last_updated_date", ""),
        lines=tuple(line for line in lines if line.line_id not in refused),
        refused_lines=tuple(line for line in lines if line.line_id in refused),
        shipping_type=raw.get("shipping_type_label") or raw.get("shipping_type_code") or "",
        shipping_cents=cents(raw.get("shipping_price")), total_cents=cents(raw.get("total_price")),
        first_name=customer.get("firstname") or "", last_name=customer.get("lastname") or "",
        email=raw.get("customer_notification_email") or "", phone=shipping.get("phone") or "",
        document="".join(ch for ch in _first(extra, DOCUMENT_FIELDS) if ch.isdigit()), address=address,
        accepted_at=raw.get("acceptance_decision_date") or "", raw=raw)


def _first(fields: dict, names) -> str:
    return next((fields[n] for n in names if fields.get(n)), "")


# -- order events: VTEX → Mirakl -------------------------------------------------------------------------------------
def invoice_document(invoice: dict) -> tuple[str, bytes]:
    """The file OR74 carries: the NF-e XML itself when VTEX sent it, else a text with what identifies the NF-e."""
    number = re.sub(r"[^A-Za-z0-9_-]", "_", invoice["invoiceNumber"])  # Mirakl wants US-ASCII file names
    if invoice.get("embeddedInvoice"):
        return f"nfe-{number}.xml", invoice["embeddedInvoice"].encode("utf-8")
    text = (f"Nota fiscal: {invoice['invoiceNumber']}\nChave de acesso: {invoice.get('invoiceKey') or '-'}\n"
            f"Valor: R$ {reais(invoice.get('invoiceValue') or 0)}\nEmissao: {invoice['issuanceDate']}\n"
            f"URL: {invoice.get('invoiceUrl') or '-'}\n")
    return f"nfe-{number}.txt", text.encode("utf-8")


def carrier_code(courier: str, carriers: list[dict]) -> str | None:
    """The Mirakl carrier code (SH21) whose code, label or standard code is VTEX's courier name, if any."""
    wanted = plain(courier)
    for carrier in carriers:
        if wanted and wanted in {plain(carrier.get(k) or "") for k in ("code", "label", "standard_code")}:
            return carrier["code"]
    return None
