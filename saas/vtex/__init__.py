"""The VTEX side, shared by every connector."""
from saas.i18n import N_, Words

# The OMS statuses an order of ours goes through, in the merchant's words (the code is shown beside them).
ORDER_STATUSES = Words({
    "order-created": N_("created"), "waiting-ffmt-authorization": N_("awaiting authorization to dispatch"),
    "authorize-fulfillment": N_("authorizing dispatch"), "window-to-cancel": N_("cancellation window"),
    "ready-for-handling": N_("ready for handling"), "start-handling": N_("handling started"),
    "handling": N_("handling"), "invoice": N_("invoicing"), "invoiced": N_("invoiced"),
    "request-cancel": N_("cancellation requested"), "cancellation-requested": N_("cancellation requested"),
    "canceled": N_("cancelled"), "payment-pending": N_("payment pending"), "payment-approved": N_("payment approved"),
})

SKU_ID_MAX_DIGITS = 18  # VTEX's SKU ids are 64-bit integers


def is_sku_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= SKU_ID_MAX_DIGITS
