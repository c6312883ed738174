"""Carrefour's settings: the Mirakl form with Carrefour's four shipping types (their pt-BR labels are the seed's)."""
from saas.connectors.mirakl.settings import audit_fields, settings_form

SHIPPING_TYPES = (("sla_normal", "Normal"), ("sla_expressa", "Expressa"), ("sla_economica", "Econômica"),
                  ("sla_agendada", "Agendada"))


def build(profile):
    """The form class and the audit trail's fields of the Carrefour profile."""
    form = settings_form(profile, SHIPPING_TYPES)
    return form, audit_fields(form)
