"""Which of VTEX's SLAs (a simulation's delivery options for an item) is the carrier a merchant mapped: by the SLA's
id or name, or the name or id of one of its couriers, compared without case or accents. Order import and freight
quotes both choose with it, so a carrier that places an order also quotes its freight."""
from saas.text import plain


def serves(sla: dict, carrier: str) -> bool:
    couriers = sla.get("deliveryIds") or []
    names = {plain(sla.get("id")), plain(sla.get("name"))} | {plain(c.get("courierName")) for c in couriers} | {
        plain(c.get("courierId")) for c in couriers}
    return plain(carrier) in names - {""}


def chosen(slas: list[dict] | None, carrier: str) -> dict | None:
    """The first of ``slas`` that is ``carrier``'s."""
    return next((sla for sla in slas or [] if serves(sla, carrier)), None)
