"""VTEX's fulfillment simulation (``POST /api/checkout/pub/orderForms/simulation``), read in one place: its items by
SKU, and for each line of the request (by its position) the stock and the delivery options (SLAs).

Every reader of a simulation goes through :class:`Simulation`: the catalog's price and stock reads, an order's
checks, the stock safety's check of an order, the freight quote and the delivery paths. Stock is the logistics'
``stockBalance`` (``availability`` alone is unreliable), else the largest of its delivery channels'; ``None`` when
VTEX said neither. A price is the selling price (promotions applied), else the item's price, in cents.
"""


class Simulation:
    def __init__(self, body: dict):
        self.items = {str(item["id"]): item for item in body.get("items") or [] if item.get("id") is not None}
        self._logistics = {info.get("itemIndex"): info for info in body.get("logisticsInfo") or []}
        self.messages = body.get("messages") or []  # VTEX's notes on the items it could not simulate

    def sells(self, sku_id: str) -> bool:
        """Whether the simulation returned the SKU with a price: sellable in the trade policy."""
        item = self.items.get(str(sku_id))
        return item is not None and (item.get("price") or 0) > 0

    def price(self, sku_id: str) -> int:
        """The SKU's selling price in cents (0 when the simulation did not return it)."""
        item = self.items.get(str(sku_id)) or {}
        return int(item.get("sellingPrice") or item.get("price") or 0)

    def list_price(self, sku_id: str) -> int:
        item = self.items.get(str(sku_id)) or {}
        return int(item.get("listPrice") or self.price(sku_id))

    def stock(self, index: int) -> int | None:
        """The stock of the request's line at ``index``."""
        info = self._logistics.get(index) or {}
        stock = info.get("stockBalance")
        if stock is None and info.get("deliveryChannels"):
            stock = max((channel.get("stockBalance") or 0) for channel in info["deliveryChannels"])
        return None if stock is None else int(stock)

    def slas(self, index: int) -> list[dict]:
        """The delivery options of the request's line at ``index`` (with a CEP in the request)."""
        return (self._logistics.get(index) or {}).get("slas") or []

    def prices_and_stock(self) -> dict[str, tuple[int, int, int]]:
        """SKU → (price in cents, stock, list price in cents) for every item returned (the catalog's reads, whose
        request has no CEP: each item's stock is its request line's)."""
        return {sku: (self.price(sku), self.stock(item.get("requestIndex")) or 0, self.list_price(sku))
                for sku, item in self.items.items()}
