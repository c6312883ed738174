"""Test data from factories (factory-boy): a test states only what it is about, the rest is a valid default."""
import factory


class CarrefourSettings(factory.DictFactory):
    """Carrefour's settings of a store as saved; each default means what the setting's absence means (VTEX's main
    trade policy, Carrefour's affiliate, no minimum stock, no divergence allowed, orders accepted by themselves,
    Normal mapped to the carrier "Normal" and the other shipping types unmapped)."""

    trade_policy = "1"
    affiliate_id = "CRF"
    min_stock = 0
    divergence = 0.0
    auto_accept = True
    sla_normal = "Normal"
    sla_expressa = ""
    sla_economica = ""
    sla_agendada = ""
