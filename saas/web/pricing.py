"""Price and stock rules and the price-drop guard of one store's marketplace: the rules page (add, remove, the
guard's percentage), and the approval of held prices from the Catálogo. A change of rules goes in the settings
history and re-sends, at the next sync, only the SKUs the changed rules target."""
from decimal import Decimal

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from saas import bridge, vtex
from saas.catalog import changes as sku_changes
from saas.catalog import rules, safety
from saas.catalog.models import SkuBinding
from saas.connectors import get_connector_class
from saas.extensions import db
from saas.fields import money, percent, quantity
from saas.i18n import msg
from saas.jobs.schedule import run_soon
from saas.tenants.models import SettingsAudit
from saas.tenants.scoping import scoped
from saas.tenants.settings import build_connector, configured_connectors, load_settings, save_settings
from saas.timeutil import utcnow
from saas.web.redirects import safe_next
from saas.web.tenant_context import attach_tenant

bp = Blueprint("pricing", __name__, url_prefix="/t/<slug>/pricing")
attach_tenant(bp)
TARGET_LABELS = {"all": _l("The whole catalog"), "brand": _l("A brand"), "category": _l("A category (its id)"),
                 "skus": _l("A list of SKUs")}
ENDINGS = (("", _l("no rounding")), ("90", ",90"), ("99", ",99"))
PRICING_LABELS = {"price_rules": _l("Price and stock rules"), "price_drop_guard": _l("Price-drop guard (%)"),
                  "cost_spec": _l("Cost specification")}  # as the settings history names them


class RuleForm(FlaskForm):
    target = SelectField(_l("Applies to"), choices=list(TARGET_LABELS.items()), default="all")
    value = StringField(_l("Brand, category id or SKUs"), validators=[Optional(), Length(max=2000)],
                        description=_l("The brand's name as VTEX has it, the category's id, or SKU ids separated by "
                                       "commas. Empty for the whole catalog."))
    markup_pct = percent(_l("Markup (%)"), low=-90, high=1000, validators=[Optional()],
                         description=_l("A positive number adds that percentage to VTEX's price; a negative one "
                                             "takes it off."))
    fixed = money(_l("Fixed amount (R$)"), low=-100000, high=100000, validators=[Optional()],
                  description=_l("Added after the percentage; negative to take it off."))
    ending = SelectField(_l("Round up to"), choices=ENDINGS, default="")
    min_price = money(_l("Minimum price (R$)"), validators=[Optional()])
    max_price = money(_l("Maximum price (R$)"), validators=[Optional()])
    stock_share_pct = percent(_l("Share of the stock (%)"), places=0, validators=[Optional()],
                              description=_l("The share of VTEX's stock offered here, rounded down."))
    stock_max = quantity(_l("Maximum quantity"), validators=[Optional()])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.target.data != "all" and not (self.value.data or "").strip():
            self.value.errors = [*self.value.errors, _("Say which brand, category or SKUs the rule applies to.")]
            valid = False
        if self.target.data == "skus" and not all(vtex.is_sku_id(s.strip())
                                                  for s in (self.value.data or "").split(",") if s.strip()):
            self.value.errors = [*self.value.errors, _("SKU ids are numbers separated by commas.")]
            valid = False
        low, high = self.min_price.data, self.max_price.data
        if low is not None and high is not None and low > high:
            self.max_price.errors = [*self.max_price.errors, _("The maximum must not be below the minimum.")]
            valid = False
        return valid

    def rule(self) -> rules.Rule:
        return rules.Rule(target=self.target.data, value="" if self.target.data == "all" else self.value.data.strip(),
                          markup_pct=float(self.markup_pct.data or 0), fixed_cents=_cents(self.fixed.data) or 0,
                          ending_cents=int(self.ending.data) if self.ending.data else None,
                          min_cents=_cents(self.min_price.data), max_cents=_cents(self.max_price.data),
                          stock_share_pct=float(self.stock_share_pct.data)
                          if self.stock_share_pct.data is not None else None,
                          stock_max=self.stock_max.data)


class GuardForm(FlaskForm):
    price_drop_guard = percent(
        _l("Price-drop guard (%)"), low=1, places=0, default=rules.DEFAULT_DROP_GUARD,
        message=_l("Enter a percentage between 1 and 100."),
        validators=[InputRequired(message=_l("Enter a percentage between 1 and 100."))],
        description=_l("A price that falls by more than this from the last price the marketplace accepted is held "
                       "until you approve it. 100 holds only a price of zero."))
    cost_spec = StringField(
        _l("Cost specification"), validators=[Optional(), Length(max=120)],
        description=_l("The VTEX specification that holds each SKU's cost (e.g. Custo): a price below it is held "
                       "too. Empty: no cost check. VTEX is then read for every SKU offered."))


class SafetyForm(FlaskForm):
    safety_stock = BooleanField(
        _l("Hold stock back from sales speed"), default=True,
        description=_l("Each SKU's offer holds back the units it sells at the marketplace while a stock change "
                       "takes to reach it (its sales per hour over 72 hours × that delay, measured), so a fast "
                       "seller is not sold beyond its stock."))
    safety_cap = quantity(
        _l("At most, units held back per SKU"), high=1000, default=safety.DEFAULT_CAP,
        message=_l("Enter a whole number from 0 to 1000."),
        validators=[InputRequired(message=_l("Enter a whole number from 0 to 1000."))])


def _cents(reais: Decimal | None) -> int | None:
    return None if reais is None else int((reais * 100).to_integral_value())


def _integration(key):
    if key not in configured_connectors():
        abort(404)
    return get_connector_class(key), load_settings(g.tenant, key)


@bp.route("/<key>", methods=["GET", "POST"])
def index(key):
    cls, row = _integration(key)
    form, guard = RuleForm(prefix="rule"), GuardForm(prefix="guard", data={
        "price_drop_guard": row.settings.get("price_drop_guard", rules.DEFAULT_DROP_GUARD),
        "cost_spec": row.settings.get("cost_spec", "")})
    if request.method == "POST" and request.form.get("action") == "add" and form.validate():
        _save(row, key, {**row.settings, "price_rules": [*(row.settings.get("price_rules") or []),
                                                         form.rule().as_dict()]})
        return redirect(url_for("pricing.index", key=key))
    cover = SafetyForm(prefix="safety", data={"safety_stock": row.settings.get("safety_stock", True) is not False,
                                              "safety_cap": safety.cap(row.settings)})
    if request.method == "POST" and request.form.get("action") == "safety" and cover.validate():
        _save(row, key, {**row.settings, "safety_stock": bool(cover.safety_stock.data),
                         "safety_cap": cover.safety_cap.data}, sold=True)
        return redirect(url_for("pricing.index", key=key))
    if request.method == "POST" and request.form.get("action") == "guard" and guard.validate():
        _save(row, key, {**row.settings, "price_drop_guard": float(guard.price_drop_guard.data),
                         "cost_spec": (guard.cost_spec.data or "").strip()})
        return redirect(url_for("pricing.index", key=key))
    history = scoped(SettingsAudit).filter(SettingsAudit.connector_key == key).order_by(SettingsAudit.id.desc()) \
        .limit(50).all()
    history = [a for a in history if {"price_rules", "price_drop_guard", "cost_spec"} & set(a.changes)][:10]
    return render_template("pricing/index.html", cls=cls, key=key, form=form, guard=guard, cover=cover,
                           rules=rules.load(row.settings), targets=TARGET_LABELS, history=history,
                           can_edit=g.membership.can_edit)


@bp.post("/<key>/remove/<int:index>")
def remove(key, index):
    _cls, row = _integration(key)
    kept = list(row.settings.get("price_rules") or [])
    if not 0 <= index < len(kept):
        abort(404)
    del kept[index]
    _save(row, key, {**row.settings, "price_rules": kept})
    return redirect(url_for("pricing.index", key=key))


def _save(row, key, settings: dict, sold: bool = False) -> None:
    """Store the rules in the settings (and their history), then queue again only the SKUs they change (``sold``:
    and those sold lately, whose safety stock the settings change)."""
    before = rules.load(row.settings)
    recent = list(safety.sales_per_hour(g.tenant, build_connector(g.tenant, key, row), utcnow())) if sold else []
    save_settings(g.tenant, key, active=row.active, settings=settings, secrets=row.secrets, user=current_user,
                  account_id=row.account_id)
    changed = set(before) ^ set(rules.load(settings))
    guard_changed = any(row.settings.get(name) != settings.get(name) for name in ("price_drop_guard", "cost_spec"))
    skus = sorted({*_targeted(key, changed), *recent})
    if skus:
        sku_changes.record(g.tenant.id, [sku_changes.Change(s, price_modified=True, stock_modified=True)
                                         for s in skus], connectors=[key])
        run_soon("sync", g.tenant.id, key)
    flash(_("Safety stock saved.") if sold else _("Price and stock rules saved.") if not guard_changed
          else _("Price-drop guard saved."), "success")
    if changed or recent:
        flash(ngettext("%(num)d SKU gets its price and stock again at the next sync.",
                       "%(num)d SKUs get their price and stock again at the next sync.", len(skus)), "success")


def _targeted(key, changed: set[rules.Rule]) -> list[str]:
    """The SKUs of this marketplace that any of the changed rules targets, and those whose brand or category is not
    known yet (bound before rules existed), which the next sync reads from VTEX."""
    if not changed:
        return []
    query = scoped(SkuBinding, connector_key=key)
    if not any(r.target == "all" for r in changed):
        conditions = []
        for rule in changed:
            if rule.target == "brand":
                conditions += [func.lower(SkuBinding.brand) == rule.value.strip().lower(), SkuBinding.brand.is_(None)]
            elif rule.target == "category":
                conditions += [SkuBinding.category_id == rule.value.strip(), SkuBinding.category_id.is_(None)]
            else:
                conditions.append(SkuBinding.sku_id.in_(sorted(rule.skus)))
        query = query.filter(or_(*conditions))
    return [sku for sku, in query.with_entities(SkuBinding.sku_id)]


@bp.post("/<key>/approve")
def approve(key):
    """The held prices of the ticked SKUs go as they are at the next sync."""
    cls, _row = _integration(key)
    skus = [s for s in request.form.getlist("sku") if vtex.is_sku_id(s)]
    held = scoped(SkuBinding, connector_key=key).filter(SkuBinding.sku_id.in_(skus),
                                                        SkuBinding.held_price_cents.isnot(None)).all() if skus else []
    for binding in held:
        binding.approved_price_cents = binding.held_price_cents
    bridge.record_many(g.tenant.id, [dict(entity="price", entity_id=b.sku_id, status="success", message=msg(
        "Held price %(price_cents)s approved by %(who)s; it goes at the next sync.", price_cents=b.held_price_cents,
        who=current_user.email)) for b in held], connector_key=key, commit=False)
    db.session.commit()
    if held:
        sku_changes.record(g.tenant.id, [sku_changes.Change(b.sku_id, price_modified=True, stock_modified=True)
                                         for b in held], connectors=[key])
        run_soon("sync", g.tenant.id, key)
        flash(ngettext("%(num)d held price approved: it goes to %(marketplace)s at the next sync.",
                       "%(num)d held prices approved: they go to %(marketplace)s at the next sync.", len(held),
                       marketplace=cls.name), "success")
    else:
        flash(_("Select at least one SKU whose price is held."), "error")
    return redirect(safe_next(request.form.get("back")) or url_for("catalog.index", connector=key, held=1))
