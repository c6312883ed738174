"""Sign-up, sign-in, sign-out, password change and invitation acceptance."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from saas.extensions import db
from saas.tenants.models import Invitation, User
from saas.tenants.service import create_tenant, find_user, grant, normalize_email, slug_taken
from saas.timeutil import utcnow
from saas.web.forms import AcceptInviteForm, LoginForm, PasswordChangeForm, SignupForm
from saas.web.ratelimit import limit_posts
from saas.web.redirects import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        if find_user(form.email.data):
            form.email.errors.append("This e-mail already has an account: sign in instead.")
        elif slug_taken(form.slug.data):
            form.slug.errors.append("This identifier is taken; choose another.")
        else:
            user = User(email=normalize_email(form.email.data))
            user.set_password(form.password.data)
            db.session.add(user)
            tenant = create_tenant(user, name=form.name.data, slug=form.slug.data,
                                   vtex_account=form.vtex_account.data, store_label=form.store_label.data,
                                   vtex_base_url=form.vtex_base_url.data, vtex_app_key=form.vtex_app_key.data,
                                   vtex_app_token=form.vtex_app_token.data)
            login_user(user)
            flash("Conta criada. Agora configure o Carrefour no Marketplace.", "success")
            return redirect(url_for("portal.marketplace", slug=tenant.slug))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limit_posts("LOGIN_RATE_LIMIT")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        if user and user.check_password(form.password.data):
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("account.home"))
        form.password.errors.append("E-mail or password is wrong.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("The current password is wrong.")
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            flash("Senha alterada.", "success")
            return redirect(url_for("account.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token):
    invitation = db.session.scalars(select(Invitation).where(Invitation.token == token,
                                                             Invitation.accepted_at.is_(None))).first()
    if invitation is None:
        return render_template("error.html", code=404, message="This invitation is unknown or already used."), 404
    user = find_user(invitation.email)
    if user is not None and current_user != user:
        # The token proves the invitee reads that mailbox, not that they own the existing account.
        flash(f"Entre como {invitation.email} para aceitar o convite.", "info")
        return redirect(url_for("auth.login", next=request.path))
    form = AcceptInviteForm()
    if user is None and form.validate_on_submit():
        user = User(email=invitation.email)
        user.set_password(form.password.data)
        db.session.add(user)
    # CSRFProtect has already checked the token of any POST that reaches this point.
    if user is not None and request.method == "POST":
        grant(user, invitation.tenant, invitation.role)
        invitation.accepted_at = utcnow()
        db.session.commit()
        login_user(user)
        return redirect(url_for("portal.dashboard", slug=invitation.tenant.slug))
    return render_template("auth/invite.html", form=form, invitation=invitation, existing=user is not None)
