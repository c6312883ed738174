"""The interface every marketplace connector implements, its data types and its errors.

Arguments and results are plain data classes, never ORM rows, so a connector can be tested with plain data.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field

from saas.i18n import N_, Words

# A marketplace order's state in the platform's words, whatever the marketplace calls it.
ORDER_STATES = Words(new=N_("new"), waiting_acceptance=N_("awaiting acceptance"),
                     waiting_payment=N_("awaiting payment"), paid=N_("paid"), shipped=N_("shipped"),
                     cancelled=N_("cancelled"), other=N_("other"))


class NotSupported(Exception):
    """This marketplace cannot do that."""


@dataclass(frozen=True)
class Requirements:
    """What the marketplace requires of a product, checked by the core on every SKU before it is sent
    (``saas.catalog.readiness``): the longest title, the most images, and the certificate a category needs (each
    certificate → words of the category names that need it)."""

    max_title: int = 255
    max_images: int = 5
    certificates: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class AccountInfo:
    shop_id: str
    shop_name: str
    shop_state: str = ""
    currency: str = ""


@dataclass(frozen=True)
class SettingsField:
    """One setting as the audit trail sees it: its label and whether its value is secret."""

    name: str
    label: str
    secret: bool = False


@dataclass(frozen=True)
class CatalogItem:
    """What VTEX says of one SKU for a sync: its SKU-and-context (only when the marketplace does not list it
    yet), its price (and list price) in cents and its stock from the simulation, and whether it may still be sold."""

    sku_id: str
    context: dict | None = None
    price_cents: int | None = None
    quantity: int | None = None
    ean: str | None = None
    withdraw: bool = False
    list_price_cents: int | None = None  # the "de" of a de/por price, when VTEX's list price is higher


@dataclass(frozen=True)
class MarketplaceOffer:
    """An offer as the marketplace shows it now, for the reconciliation: the price the buyer pays, the quantity."""

    sku_id: str
    price_cents: int | None
    quantity: int
    active: bool = True


@dataclass(frozen=True)
class Batch:
    kind: str  # product | offer
    import_id: str
    sku_ids: tuple[str, ...]


@dataclass(frozen=True)
class LineResult:
    status: str  # success | error | pending
    message: str = ""


@dataclass
class Published:
    """One file handed to the marketplace (``batch``; None when no line could go) and the SKUs left out, with why."""

    batch: Batch | None = None
    rejected: dict[str, str] = field(default_factory=dict)


@dataclass
class BatchReport:
    final: bool                # the marketplace is done with the file
    status: str                # the marketplace's own word, for the Bridge
    results: dict[str, LineResult] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    ok: bool = False           # the file was processed (its lines may still have errors)


@dataclass(frozen=True)
class FreightRequest:
    postal_code: str                     # 8 digits
    items: tuple[tuple[str, int], ...]   # (VTEX SKU, quantity)


@dataclass(frozen=True)
class FreightOption:
    shipping_type: str   # the marketplace's shipping type
    carrier: str         # the VTEX carrier mapped to it
    price_cents: int
    delivery_days: int


class FreightRequestError(ValueError):
    """A freight request the marketplace's wire format cannot read; the message says what to send instead."""


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku_id: str          # the VTEX SKU (the marketplace's shop SKU)
    quantity: int
    unit_price_cents: int
    title: str = ""


@dataclass(frozen=True)
class Address:
    receiver: str
    postal_code: str
    street: str
    number: str
    complement: str
    neighborhood: str
    city: str
    state: str
    country: str = "BRA"


@dataclass(frozen=True)
class OrderData:
    """A marketplace order as the platform needs it, whatever the marketplace."""

    order_id: str
    state: str                  # one of ORDER_STATES
    marketplace_state: str      # the marketplace's own word
    updated_at: str
    lines: tuple[OrderLine, ...]
    shipping_type: str          # the marketplace's shipping type label (Normal, Expressa, …)
    shipping_cents: int
    total_cents: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    document: str = ""          # CPF or CNPJ, digits only
    address: Address | None = None
    accepted_at: str = ""       # when the seller's acceptance was decided, ISO 8601; "" while undecided
    refused_lines: tuple[OrderLine, ...] = ()  # lines refused at acceptance: shown, never placed
    raw: dict = field(default_factory=dict, compare=False)


@dataclass
class OrderPage:
    orders: list[OrderData]
    cursor: str | None          # resume from here next time


@dataclass
class ConnectorContext:
    """What a connector needs to act for one tenant: its settings, secrets and HTTP timeout."""

    tenant_id: int
    settings: dict
    secrets: dict = field(default_factory=dict)
    timeout: float = 10.0


class Connector:
    """A marketplace. Subclasses set ``key``, ``name``, ``settings_form`` and implement what the marketplace can do."""

    key: str = ""
    name: str = ""
    title = None  # the card's and the settings page's heading, when it says more than the name
    description: str = ""
    settings_form = None
    settings_fields: tuple[SettingsField, ...] = ()
    credentials_field = ""            # the form's field of the secret the marketplace checks
    credentials_label = "API key"     # what the merchant calls it (Carrefour: ShopKey)
    default_affiliate = ""            # the affiliate id VTEX knows the marketplace by, unless the merchant sets one
    # The marketplace's shipping types, each mapped to a VTEX carrier in a setting: (setting name, label).
    shipping_types: tuple[tuple[str, str], ...] = ()
    # A marketplace that asks the store for freight quotes, at /api/<key>integration/pub/<store>/freight, names the
    # module of its wire format: from_query(args) and from_json(body) give a FreightRequest (or raise
    # FreightRequestError), answer(request, options) the body it expects.
    freight_wire = None
    # What a product needs to be accepted; None: nothing is checked before sending.
    requirements: Requirements | None = None

    # Settings the marketplace itself tells once the key opens it (``discover_settings``), kept across saves.
    discovered_settings: tuple[str, ...] = ()

    def __init__(self, context: ConnectorContext):
        self.context = context

    @classmethod
    def form_for(cls, settings: dict):
        """The settings form for a store whose stored settings are ``settings``."""
        return cls.settings_form

    @classmethod
    def fields_for(cls, settings: dict) -> tuple[SettingsField, ...]:
        """The settings as the audit trail names them, for a store whose stored settings are ``settings``."""
        return cls.settings_fields

    @classmethod
    def shipping_types_for(cls, settings: dict) -> tuple[tuple[str, str], ...]:
        """The marketplace's shipping types for a store, as (setting, label) pairs."""
        return cls.shipping_types

    def check_credentials(self) -> AccountInfo:
        raise NotSupported(f"{self.name} cannot check credentials")

    def discover_settings(self) -> dict:
        """What the marketplace tells of itself with the key (the names in ``discovered_settings``)."""
        return {}

    def rate_limited_for(self) -> int:
        """Seconds the marketplace asked this shop to wait before any call (its rate limit's 429); 0: none."""
        return 0

    # The marketplace's published limits on imports, in seconds between two of them per shop.
    min_product_import_interval = 0
    min_offer_import_interval = 0

    def publish_products(self, items: Iterable[CatalogItem]) -> Published:
        """Products (with their VTEX SKU-and-context) for SKUs the marketplace does not list yet; ``items`` is
        consumed once, as it comes, so a large catalog never sits whole in memory."""
        raise NotSupported(f"{self.name} cannot publish products")

    def publish_offers(self, items: Iterable[CatalogItem]) -> Published:
        """Price and stock (or withdrawal) of SKUs."""
        raise NotSupported(f"{self.name} cannot publish offers")

    def listed(self, eans: list[str]) -> set[str]:
        """Which of these products the marketplace has approved and lists."""
        raise NotSupported(f"{self.name} cannot tell which products it lists")

    def check_batch(self, batch):
        raise NotSupported(f"{self.name} cannot read import reports")

    def offered_quantity(self, stock: int | None) -> int:
        """The quantity an offer of ``stock`` units goes with (after the settings' minimum stock)."""
        return max(stock or 0, 0)

    def start_offer_export(self) -> str:
        """Ask the marketplace for every offer of the shop (the reconciliation's); answers a handle to read it by."""
        raise NotSupported(f"{self.name} cannot export its offers")

    def offer_export(self, handle: str) -> list[str] | None:
        """The parts of the export (what ``offer_export_part`` reads); None while the marketplace is still preparing
        it. Raises ``IntegrationError`` when the marketplace says the export failed."""
        raise NotSupported(f"{self.name} cannot export its offers")

    def offer_export_part(self, part: str) -> list[MarketplaceOffer]:
        raise NotSupported(f"{self.name} cannot export its offers")

    def paid_orders_since(self, since: str) -> list[OrderData]:
        """Every paid order created since ``since`` (ISO 8601), whatever the poll's cursor: the reconciliation's
        sweep for orders a poll missed."""
        raise NotSupported(f"{self.name} cannot list orders by creation")

    def fetch_orders(self, cursor: str | None) -> OrderPage:
        """Every order created or changed since ``cursor`` (overlap included: callers dedupe)."""
        raise NotSupported(f"{self.name} cannot fetch orders")

    @classmethod
    def order_state_of(cls, marketplace_state: str) -> str:
        """One of ORDER_STATES for the marketplace's own word for an order's state."""
        return "other"

    def order_data(self, raw: dict) -> OrderData:
        """The stored raw payload of one of this marketplace's orders, read again."""
        raise NotSupported(f"{self.name} has no orders")

    def accept_order(self, order: OrderData, accepted: bool) -> None:
        """Accept or refuse every line of the order."""
        raise NotSupported(f"{self.name} cannot accept orders")

    def order_state(self, order_id: str) -> str:
        """One order's current state, in the platform's words (``OrderData.state``: new, waiting_acceptance,
        waiting_payment, paid, shipped, cancelled, other)."""
        raise NotSupported(f"{self.name} cannot read an order's state")

    def send_invoice(self, order_id, invoice):
        raise NotSupported(f"{self.name} cannot receive invoices")

    def send_tracking(self, order_id, tracking):
        raise NotSupported(f"{self.name} cannot receive tracking")

    def mark_shipped(self, order_id):
        raise NotSupported(f"{self.name} cannot mark orders shipped")

    def mark_delivered(self, order_id, delivered_at):
        raise NotSupported(f"{self.name} cannot mark orders delivered")

    def request_cancellation(self, order_id, reason):
        raise NotSupported(f"{self.name} cannot receive cancellation requests")
