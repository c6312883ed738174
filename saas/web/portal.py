"""The merchant's pages of one tenant: dashboard, Marketplace (connector cards and settings), store, members."""
import threading
from datetime import timedelta

from cachetools import TTLCache, cached
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from redis.exceptions import RedisError
from sqlalchemy import func, select

from saas import alerts, digest
from saas.bridge.models import BridgeEntry
from saas.catalog import activation, connector_setup, drift
from saas.catalog.models import PRODUCT_STATES, STATE_COLOURS, ImportBatch, SkuBinding, SkuChange
from saas.connectors import get_connector_class, registry
from saas.crypto import mask
from saas.egress import outcome
from saas.extensions import db
from saas.i18n import LANGUAGES
from saas.integration_errors import IntegrationError
from saas.mail import OutboxMessage, send_mail
from saas.orders.models import MarketplaceOrder
from saas.tenants.models import AUDIT_ACTIONS, ConnectorSettings, Invitation, Membership, SettingsAudit
from saas.tenants.public_urls import freight_url
from saas.tenants.scoping import scoped
from saas.tenants.service import create_tenant, slug_taken, user_tenants
from saas.tenants.settings import build_connector, load_settings
from saas.timeutil import local_time, start_of_local_day, utcnow
from saas.vtex.client import VtexClient
from saas.web import trends
from saas.web.bridge import marketplace_names
from saas.web.forms import ROLE_NAMES, AlertsForm, InviteForm, TenantForm, vtex_answers
from saas.web.pricing import PRICING_LABELS
from saas.web.redirects import safe_next
from saas.web.tenant_context import attach_tenant

bp = Blueprint("portal", __name__, url_prefix="/t/<slug>")
_CARRIERS = TTLCache(maxsize=1024, ttl=300)
SLUG_FIXED = _l("The identifier no longer changes: it is in the URLs VTEX and the marketplaces already use "
                "(notifications, orders, freight). For another identifier, create a new store.")
SLUG_TAKEN = _l("This identifier is taken; choose another.")
attach_tenant(bp)
account_bp = Blueprint("account", __name__)


@bp.app_context_processor
def portal_context():
    tenants = user_tenants(current_user) if current_user.is_authenticated else []
    return {"my_tenants": tenants, "role_names": ROLE_NAMES}


# -- pages outside a tenant ------------------------------------------------------------------------------------------
@account_bp.get("/")
@login_required
def home():
    tenants = user_tenants(current_user)
    if not tenants:
        return redirect(url_for("account.new_tenant"))
    return redirect(url_for("portal.dashboard", slug=tenants[0].slug))


@account_bp.route("/tenants/new", methods=["GET", "POST"])
@login_required
def new_tenant():
    form = TenantForm()
    if form.validate_on_submit():
        if slug_taken(form.slug.data):
            form.slug.errors.append(SLUG_TAKEN)
        elif vtex_answers(form):
            tenant = create_tenant(current_user, name=form.name.data, slug=form.slug.data,
                                   vtex_account=form.vtex_account.data, store_label=form.store_label.data,
                                   vtex_base_url=form.vtex_base_url.data, vtex_app_key=form.vtex_app_key.data,
                                   vtex_app_token=form.vtex_app_token.data)
            flash(_("Store %(name)s created.", name=tenant.display_name), "success")
            return redirect(url_for("portal.marketplace", slug=tenant.slug))
    return render_template("portal/tenant_form.html", form=form, title=_("New store"))


@account_bp.post("/language")
def language():
    """The portal's language: kept for the session, and for the user's next sessions when signed in."""
    choice = request.form.get("locale")
    if choice not in LANGUAGES:
        abort(400)
    session["locale"] = choice
    if current_user.is_authenticated:
        current_user.locale = choice
        db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("account.home"))


@account_bp.get("/outbox")
@login_required
def outbox():
    """Development only: the mail that would have been sent, for whom it was sent to."""
    if current_app.config["APP_ENV"] == "production":
        abort(404)
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == current_user.email)
                                  .order_by(OutboxMessage.id.desc()).limit(50)).all()
    return render_template("portal/outbox.html", messages=messages)


# -- tenant pages ----------------------------------------------------------------------------------------------------
@bp.get("/")
def dashboard():
    """The store now: its SKUs and orders by their current state, today's orders, the last batch accepted."""
    skus = dict(scoped(SkuBinding).with_entities(SkuBinding.product_state, func.count())
                .group_by(SkuBinding.product_state).all())
    orders = dict(scoped(MarketplaceOrder).with_entities(MarketplaceOrder.status, func.count())
                  .group_by(MarketplaceOrder.status).all())
    today = scoped(MarketplaceOrder).filter(MarketplaceOrder.created_at >= start_of_local_day()) \
        .with_entities(func.count()).scalar()
    recent = scoped(BridgeEntry).order_by(BridgeEntry.created_at.desc(), BridgeEntry.id.desc()).limit(10).all()
    last_batch = scoped(ImportBatch).filter(ImportBatch.status == "complete") \
        .with_entities(func.max(ImportBatch.created_at)).scalar()
    pending = scoped(SkuChange).with_entities(func.count()).scalar()
    return render_template("portal/dashboard.html", skus=skus, orders=orders, today=today,
                           connectors=_connector_cards(), recent=recent, last_batch=last_batch, pending=pending,
                           product_states=PRODUCT_STATES, colours=STATE_COLOURS,
                           today_iso=local_time(utcnow(), "%Y-%m-%d"), marketplaces=marketplace_names(),
                           drift=drift.last_day(), drift_paths=drift.PATHS,
                           charts=trends.dashboard_charts())


@bp.get("/marketplace")
def marketplace():
    return render_template("portal/marketplace.html", connectors=_connector_cards())


def _connector_cards():
    rows = {row.connector_key: row for row in scoped(ConnectorSettings).all()}
    return [{"cls": cls, "row": rows.get(key), "resumes_at": _resumes_at(key, rows.get(key))}
            for key, cls in sorted(registry().items())]


def _resumes_at(key, row):
    """When a marketplace that answered "too many requests" lets the store call again (None: it does now)."""
    if row is None or not row.active:
        return None
    try:
        wait = build_connector(g.tenant, key, row).rate_limited_for()
    except (RedisError, KeyError):
        return None
    return utcnow() + timedelta(seconds=wait) if wait else None


@bp.get("/marketplace/<key>/digest")
def digest_preview(key):
    """The daily digest as the notification e-mail would get it now, to see before it comes."""
    row = load_settings(g.tenant, key)
    if row is None or get_connector_class(key) is None:
        abort(404)
    subject, body = digest.written(g.tenant, key)
    return render_template("portal/digest.html", subject=subject, body=body, key=key,
                           email=row.settings.get("notification_email"), marketplace=get_connector_class(key).name)


@bp.route("/marketplace/<key>", methods=["GET", "POST"])
def connector_settings(key):
    cls = get_connector_class(key) or abort(404)
    row = load_settings(g.tenant, key)
    stored = dict(row.settings) if row else {}
    form_class = cls.form_for(stored)
    form = form_class(data=form_class.initial_data(stored, bool(row and row.active)))
    if row is None and request.method == "GET":  # a first setup: an affiliate id no other store uses
        form.affiliate_id.data = activation.free_affiliate_id(g.tenant, key, form.affiliate_id.data)
    if row is not None and row.secrets.get(cls.credentials_field):  # only then is there a key to keep
        field = form[cls.credentials_field]
        field.description = " ".join(filter(None, (str(field.description), _("Leave empty to keep the stored key."))))
    if form.validate_on_submit():
        notices = connector_setup.save(g.tenant, cls, form, row, current_user)
        if notices is not None:
            for notice in notices:
                flash(notice, "success")
            return redirect(url_for("portal.connector_settings", key=key))
    audit = scoped(SettingsAudit).filter(SettingsAudit.connector_key == key) \
        .order_by(SettingsAudit.id.desc()).limit(20).all()
    return render_template("portal/connector_settings.html", cls=cls, form=form, row=row, audit=audit,
                           actions=AUDIT_ACTIONS,
                           field_labels={**PRICING_LABELS, **{f.name: f.label for f in cls.fields_for(stored)}},
                           carriers=_carrier_choices(), can_edit=g.membership.can_edit,
                           freight_url=freight_url(g.tenant, key) if cls.freight_wire else None)


def _carrier_choices() -> list[str]:
    """The store's VTEX carriers when its credentials work (kept five minutes); none leaves the fields free text."""
    tenant = g.tenant
    if not (tenant.vtex_app_key and tenant.vtex_app_token):
        return []
    try:
        return _vtex_carriers(tenant)
    except IntegrationError:
        return []


@cached(_CARRIERS, key=lambda tenant: (tenant.id, tenant.vtex_url, tenant.vtex_app_key), lock=threading.Lock())
def _vtex_carriers(tenant) -> list[str]:
    carriers = VtexClient.for_tenant(tenant, timeout=3).carriers(timeout=3)
    return sorted({c.get("name") or c.get("id") for c in carriers if c.get("name") or c.get("id")})


@bp.route("/store", methods=["GET", "POST"])
def store():
    tenant = g.tenant
    form = TenantForm(obj=tenant)
    slug_fixed = slug_in_public_urls(tenant)
    if slug_fixed:
        form.slug.render_kw = {"readonly": True}
        form.slug.description = SLUG_FIXED
    if not g.membership.can_edit:
        form.vtex_app_key.data = mask(tenant.vtex_app_key)
    if tenant.vtex_app_token:
        form.vtex_app_token.description = _("Stored encrypted. Leave empty to keep the stored token.")
    if form.validate_on_submit():
        if form.slug.data != tenant.slug and slug_fixed:
            form.slug.errors.append(SLUG_FIXED)
        elif form.slug.data != tenant.slug and slug_taken(form.slug.data):
            form.slug.errors.append(SLUG_TAKEN)
        elif not _vtex_access_changed(tenant, form) or vtex_answers(form, tenant.vtex_app_token):
            tenant.name, tenant.slug = form.name.data.strip(), form.slug.data
            tenant.vtex_account = form.vtex_account.data.strip()
            tenant.store_label = (form.store_label.data or "").strip() or None
            tenant.vtex_base_url = form.vtex_base_url.data or None
            tenant.set_vtex_credentials(form.vtex_app_key.data or "", form.vtex_app_token.data or tenant.vtex_app_token)
            db.session.commit()
            flash(_("Store updated."), "success")
            return redirect(url_for("portal.store", slug=tenant.slug))
    return _store_page(form, AlertsForm(formdata=None))


def _store_page(form, alerts_form):
    hook = alerts.webhook_of(g.tenant)
    if hook and not alerts_form.webhook_url.data:
        alerts_form.webhook_url.data = hook[0] if g.membership.can_edit else mask(hook[0])
    return render_template("portal/tenant_form.html", form=form, title=_("Store details"), editing=True,
                           alerts_form=alerts_form, alert_secret=hook[1] if hook and g.membership.can_edit else None)


@bp.post("/store/alerts")
def store_alerts():
    form = AlertsForm()
    if form.validate_on_submit():
        url = (form.webhook_url.data or "").strip()
        refused = alerts.address_refused(url) if url else None
        if refused:
            form.webhook_url.errors.append(outcome(refused))
        else:
            alerts.configure(g.tenant, url or None)
            db.session.commit()
            flash(_("Alert webhook saved.") if url else _("Alert webhook removed."), "success")
            return redirect(url_for("portal.store"))
    return _store_page(TenantForm(obj=g.tenant), form)


@bp.post("/store/alerts/test")
def store_alerts_test():
    """Send a test alert now; the page says what happened in a fixed sentence."""
    flash(alerts.send_test(g.tenant), "info")
    return redirect(url_for("portal.store", _anchor="alerts"))


def _vtex_access_changed(tenant, form) -> bool:
    """Whether the form reaches VTEX differently than the store does now."""
    token = form.vtex_app_token.data or tenant.vtex_app_token
    return (form.vtex_account.data.strip(), form.vtex_base_url.data or None, form.vtex_app_key.data or "", token) \
        != (tenant.vtex_account, tenant.vtex_base_url, tenant.vtex_app_key, tenant.vtex_app_token)


@bp.route("/members", methods=["GET", "POST"])
def members():
    form = InviteForm()
    if form.validate_on_submit():
        invitation = Invitation(tenant_id=g.tenant.id, email=form.email.data.strip().lower(), role=form.role.data,
                                invited_by_id=current_user.id)
        db.session.add(invitation)
        db.session.commit()
        link = current_app.config["PUBLIC_BASE_URL"] + url_for("auth.accept_invite", token=invitation.token)
        store = g.tenant.display_name
        send_mail(invitation.email, _("Invitation to the store %(store)s", store=store),
                  _("%(who)s invited you to the store %(store)s as %(role)s.\nAccept the invitation here: %(link)s",
                    who=current_user.email, store=store, role=ROLE_NAMES[invitation.role], link=link))
        flash(_("Invitation sent to %(email)s.", email=invitation.email), "success")
        return redirect(url_for("portal.members"))
    memberships = scoped(Membership).order_by(Membership.id).all()
    pending = scoped(Invitation).filter(Invitation.accepted_at.is_(None)).order_by(Invitation.id.desc()).all()
    return render_template("portal/members.html", form=form, memberships=memberships, pending=pending)


def slug_in_public_urls(tenant) -> bool:
    """Whether VTEX or a marketplace may hold URLs naming the slug: the affiliate's search endpoint and the OMS hook
    (registered at activation), each placed order's marketplaceServicesEndpoint, the freight URL pasted at the
    marketplace. From the first activation on, the slug stays, so none of them ever answers 404."""
    def exists(model, *conditions):
        return db.session.scalars(select(model.id).where(model.tenant_id == tenant.id, *conditions).limit(1)
                                  ).first() is not None
    return (exists(ConnectorSettings, ConnectorSettings.active.is_(True))
            or exists(SettingsAudit, SettingsAudit.action == "activate") or exists(MarketplaceOrder))
