"""What a cause of errors is told with: the settings change that came just before it started."""
from datetime import datetime, timedelta

from flask import g
from flask_babel import gettext as _

from saas.connectors import get_connector_class
from saas.tenants.models import AUDIT_ACTIONS, SettingsAudit
from saas.tenants.scoping import scoped
from saas.tenants.settings import load_settings

CHANGE_WINDOW = timedelta(days=1)  # how far back a settings change still explains the first error of a cause


def started_after(first: datetime | None) -> str | None:
    """"Started 2 min after … changed …": the last change of a marketplace's settings (a new key included) in the
    day before ``first``, the cause's first error, in words; None when there was none."""
    change = first and scoped(SettingsAudit).filter(SettingsAudit.created_at <= first,
                                                    SettingsAudit.created_at >= first - CHANGE_WINDOW) \
        .order_by(SettingsAudit.created_at.desc(), SettingsAudit.id.desc()).first()
    if not change:
        return None
    cls = get_connector_class(change.connector_key)
    row = load_settings(g.tenant, change.connector_key)
    labels = {f.name: str(f.label) for f in cls.fields_for(row.settings if row else {})} if cls else {}
    names = [labels.get(name, name) for name in change.changes]
    fields = ", ".join(names[:3]) + (", …" if len(names) > 3 else "") or AUDIT_ACTIONS[change.action]
    return _("Started %(minutes)d min after %(who)s changed %(fields)s in %(marketplace)s's settings.",
             minutes=int((first - change.created_at).total_seconds() // 60),
             who=change.user.email if change.user else _("system"), fields=fields,
             marketplace=cls.name if cls else change.connector_key)
