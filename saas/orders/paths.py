"""Readiness of the order paths: for each shipping type of the marketplace and a reference CEP of each Brazilian
region, whether the mapped VTEX carrier delivers a sample of the store's SKUs there (price and days), asked of VTEX's
simulation as an order's import would ask it. An unmapped or unserved type is seen before an order fails on it."""
from dataclasses import dataclass

from saas.catalog.models import SkuBinding
from saas.i18n import Text, msg
from saas.integration_errors import IntegrationError
from saas.tenants.scoping import scoped
from saas.tenants.settings import affiliate_of, trade_policy_of
from saas.vtex import slas as vtex_slas
from saas.vtex.client import VtexClient
from saas.vtex.simulation import Simulation

# One capital per region by default [the merchant edits them]: Manaus, Recife, Brasília, São Paulo, Porto Alegre.
REGIONS = {"Norte": "69005010", "Nordeste": "50030230", "Centro-Oeste": "70040010", "Sudeste": "01310100",
           "Sul": "90010150"}
SAMPLE = 3


@dataclass(frozen=True)
class Path:
    served: bool
    price_cents: int | None = None
    days: str | None = None  # VTEX's estimate, e.g. "3bd"
    why: Text | None = None


def reference_ceps(settings: dict) -> dict[str, str]:
    return dict(settings.get("reference_ceps") or REGIONS)


def sample_skus(tenant, connector_key: str) -> list[str]:
    """A few SKUs in stock that the marketplace lists (or, before any is listed, sent ones): what its orders will
    ask for."""
    for states in (("listed",), ("pending", "sent")):
        skus = [sku for sku, in scoped(SkuBinding, tenant, connector_key)
                .filter(SkuBinding.product_state.in_(states), SkuBinding.quantity > 0)
                .with_entities(SkuBinding.sku_id)
                .order_by(SkuBinding.sku_id).limit(SAMPLE)]
        if skus:
            return skus
    return []


def check(tenant, connector_key: str, settings: dict, shipping_types, skus: list[str]) -> dict[tuple[str, str], Path]:
    """(shipping type's setting, region) → its path: one simulation per region, under the marketplace's affiliate as
    an order's import asks it."""
    vtex, trade_policy = VtexClient.for_tenant(tenant), trade_policy_of(settings)
    paths = {}
    for region, cep in reference_ceps(settings).items():
        try:
            simulation = vtex.simulate([(sku, 1) for sku in skus], trade_policy=trade_policy,
                                       affiliate_id=affiliate_of(connector_key, settings), postal_code=cep,
                                       timeout=5)
        except IntegrationError as exc:
            simulation, failure = None, msg("VTEX did not answer (%(detail)s).", detail=exc.said)
        for setting, _label in shipping_types:
            carrier = (settings.get(setting) or "").strip()
            if not carrier:
                paths[setting, region] = Path(False, why=msg("No VTEX carrier is mapped to this type."))
            elif simulation is None:
                paths[setting, region] = Path(False, why=failure)
            else:
                paths[setting, region] = _path(simulation, carrier, len(skus))
    return paths


def _path(simulation: Simulation, carrier: str, items: int) -> Path:
    chosen = [vtex_slas.chosen(simulation.slas(index), carrier) for index in range(items)]
    if any(sla is None for sla in chosen):
        return Path(False, why=msg("The carrier “%(carrier)s” does not deliver here.", carrier=carrier))
    days = max((sla.get("shippingEstimate") or "" for sla in chosen), key=_business_days)
    return Path(True, price_cents=sum(sla.get("price") or 0 for sla in chosen), days=days)


def _business_days(estimate: str) -> int:
    digits = "".join(ch for ch in estimate if ch.isdigit())
    return int(digits) if digits else 0
