"""The merchant's pages of one tenant: dashboard, Marketplace (connector cards and settings), store, members."""
import threading

from cachetools import TTLCache, cached
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from saas.bridge.models import STATUSES, BridgeEntry
from saas.catalog import activation
from saas.catalog.models import ImportBatch, SkuChange
from saas.connectors import get_connector_class, registry
from saas.connectors.base import IntegrationError
from saas.crypto import mask
from saas.extensions import db
from saas.mail import OutboxMessage, send_mail
from saas.tenants import connector_setup
from saas.tenants.models import ConnectorSettings, Invitation, Membership, SettingsAudit
from saas.tenants.scoping import scoped
from saas.tenants.service import create_tenant, slug_in_public_urls, slug_taken, user_tenants
from saas.tenants.settings import load_settings
from saas.vtex.client import VtexClient
from saas.web.forms import InviteForm, TenantForm
from saas.web.public_urls import freight_url
from saas.web.tenant_context import attach_tenant

bp = Blueprint("portal", __name__, url_prefix="/t/<slug>")
_CARRIERS = TTLCache(maxsize=1024, ttl=300)
SLUG_FIXED = ("O identificador não muda mais: ele está nas URLs que a VTEX e os marketplaces já usam (notificações, "
              "pedidos, frete). Para outro identificador, crie uma nova loja.")
attach_tenant(bp)
account_bp = Blueprint("account", __name__)


@bp.app_context_processor
def portal_context():
    tenants = user_tenants(current_user) if current_user.is_authenticated else []
    return {"my_tenants": tenants}


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
            form.slug.errors.append("This identifier is taken; choose another.")
        else:
            tenant = create_tenant(current_user, name=form.name.data, slug=form.slug.data,
                                   vtex_account=form.vtex_account.data, store_label=form.store_label.data,
                                   vtex_base_url=form.vtex_base_url.data, vtex_app_key=form.vtex_app_key.data,
                                   vtex_app_token=form.vtex_app_token.data)
            flash(f"Loja {tenant.display_name} criada.", "success")
            return redirect(url_for("portal.marketplace", slug=tenant.slug))
    return render_template("portal/tenant_form.html", form=form, title="Nova loja")


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
    counts = dict(scoped(BridgeEntry).with_entities(BridgeEntry.status, func.count())
                  .group_by(BridgeEntry.status).all())
    connectors = _connector_cards()
    recent = scoped(BridgeEntry).order_by(BridgeEntry.id.desc()).limit(10).all()
    last_batch = scoped(ImportBatch).filter(ImportBatch.status == "complete") \
        .with_entities(func.max(ImportBatch.created_at)).scalar()
    pending = scoped(SkuChange).with_entities(func.count()).scalar()
    return render_template("portal/dashboard.html", counts=counts, statuses=STATUSES, connectors=connectors,
                           recent=recent, last_batch=last_batch, pending=pending)


@bp.get("/marketplace")
def marketplace():
    return render_template("portal/marketplace.html", connectors=_connector_cards())


def _connector_cards():
    rows = {row.connector_key: row for row in scoped(ConnectorSettings).all()}
    return [{"cls": cls, "row": rows.get(key)} for key, cls in sorted(registry().items())]


@bp.route("/marketplace/<key>", methods=["GET", "POST"])
def connector_settings(key):
    cls = get_connector_class(key) or abort(404)
    row = load_settings(g.tenant, key)
    initial = cls.settings_form.initial_data(dict(row.settings) if row else {}, bool(row and row.active))
    if row is None and request.method == "GET":  # a first setup: an affiliate id no other store uses
        initial["affiliate_id"] = activation.free_affiliate_id(g.tenant, initial.get("affiliate_id") or "CRF")
    form = cls.settings_form(data=initial)
    if form.validate_on_submit():
        notices = connector_setup.save(g.tenant, cls, form, row, current_user)
        if notices is not None:
            for notice in notices:
                flash(notice, "success")
            return redirect(url_for("portal.connector_settings", key=key))
    audit = scoped(SettingsAudit).filter(SettingsAudit.connector_key == key) \
        .order_by(SettingsAudit.id.desc()).limit(20).all()
    return render_template("portal/connector_settings.html", cls=cls, form=form, row=row, audit=audit,
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
    if form.validate_on_submit():
        if form.slug.data != tenant.slug and slug_fixed:
            form.slug.errors.append(SLUG_FIXED)
        elif form.slug.data != tenant.slug and slug_taken(form.slug.data):
            form.slug.errors.append("This identifier is taken; choose another.")
        else:
            tenant.name, tenant.slug = form.name.data.strip(), form.slug.data
            tenant.vtex_account = form.vtex_account.data.strip()
            tenant.store_label = (form.store_label.data or "").strip() or None
            tenant.vtex_base_url = form.vtex_base_url.data or None
            tenant.set_vtex_credentials(form.vtex_app_key.data or "", form.vtex_app_token.data or tenant.vtex_app_token)
            db.session.commit()
            flash("Loja atualizada.", "success")
            return redirect(url_for("portal.store", slug=tenant.slug))
    return render_template("portal/tenant_form.html", form=form, title="Dados da loja", editing=True)


@bp.route("/members", methods=["GET", "POST"])
def members():
    form = InviteForm()
    if form.validate_on_submit():
        invitation = Invitation(tenant_id=g.tenant.id, email=form.email.data.strip().lower(), role=form.role.data,
                                invited_by_id=current_user.id)
        db.session.add(invitation)
        db.session.commit()
        link = current_app.config["PUBLIC_BASE_URL"] + url_for("auth.accept_invite", token=invitation.token)
        send_mail(invitation.email, f"Convite para a loja {g.tenant.display_name}",
                  f"{current_user.email} convidou você para a loja {g.tenant.display_name} como {invitation.role}.\n"
                  f"Accept the invitation here: {link}")
        flash(f"Convite enviado para {invitation.email}.", "success")
        return redirect(url_for("portal.members"))
    memberships = scoped(Membership).order_by(Membership.id).all()
    pending = scoped(Invitation).filter(Invitation.accepted_at.is_(None)).order_by(Invitation.id.desc()).all()
    return render_template("portal/members.html", form=form, memberships=memberships, pending=pending)
