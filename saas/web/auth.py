"""Sign-up, sign-in, sign-out, password change and invitation acceptance."""
import secrets
from functools import cache

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from saas.extensions import db
from saas.mail import send_mail
from saas.sandbox.demo import signup_hints
from saas.tenants.models import Invitation, User
from saas.tenants.service import create_tenant, find_user, grant, normalize_email, slug_taken
from saas.timeutil import utcnow
from saas.web import signin_guard
from saas.web.forms import AcceptInviteForm, LoginForm, PasswordChangeForm, SignupForm, vtex_answers
from saas.web.ratelimit import limit_posts
from saas.web.redirects import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    form = SignupForm()
    if form.validate_on_submit():
        if find_user(form.email.data):
            form.email.errors.append(_("This e-mail already has an account: sign in instead."))
        elif slug_taken(form.slug.data):
            form.slug.errors.append(_("This identifier is taken; choose another."))
        elif vtex_answers(form):
            user = User(email=normalize_email(form.email.data))
            user.set_password(form.password.data)
            db.session.add(user)
            tenant = create_tenant(user, name=form.name.data, slug=form.slug.data,
                                   vtex_account=form.vtex_account.data, store_label=form.store_label.data,
                                   vtex_base_url=form.vtex_base_url.data, vtex_app_key=form.vtex_app_key.data,
                                   vtex_app_token=form.vtex_app_token.data)
            login_user(user)
            flash(_("Account created. Now activate a marketplace on the Marketplace page."), "success")
            return redirect(url_for("portal.marketplace", slug=tenant.slug))
    hints = signup_hints() if current_app.config["APP_ENV"] != "production" else None
    return render_template("auth/signup.html", form=form, sandbox=hints)


@bp.route("/login", methods=["GET", "POST"])
@limit_posts("LOGIN_RATE_LIMIT")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        email, address = normalize_email(form.email.data), request.remote_addr or "unknown"
        wait = signin_guard.seconds_to_wait(email, address)
        user = None if wait else find_user(email)
        if wait:
            form.password.errors.append(_("Too many wrong passwords from this address: try again in %(wait)s.",
                                          wait=_in_words(wait)))
        elif _password_matches(user, form.password.data):
            signin_guard.signed_in(email, address)
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("account.home"))
        else:
            if signin_guard.count_failure(email, address) and user is not None:
                _tell_owner(user, address)
            form.password.errors.append(_("E-mail or password is wrong."))
    return render_template("auth/login.html", form=form)


def _password_matches(user, password: str) -> bool:
    """An unknown e-mail costs the same hashing as a known one, so the time taken does not tell which exist."""
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return user.check_password(password)


@cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_urlsafe(16))


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    return ngettext("%(num)d minute", "%(num)d minutes", -(-seconds // 60))


def _tell_owner(user, address: str) -> None:
    """Once per streak of wrong passwords on the account: a stranger's guesses keep only the stranger waiting, and
    the owner should know someone tries."""
    send_mail(user.email, _("Attempts to sign in to your account"),
              _("There were %(count)d wrong passwords in a row for your account, the last one from the address "
                "%(address)s. Attempts from an address that keeps failing wait a few minutes; your own sign-in "
                "is not affected.\n\nIf it was not you, change the password as soon as you sign in.",
                count=signin_guard.FREE_ATTEMPTS, address=address))


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
            form.current.errors.append(_("The current password is wrong."))
        else:
            current_user.set_password(form.password.data)
            db.session.commit()
            flash(_("Password changed."), "success")
            return redirect(url_for("account.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
def accept_invite(token):
    invitation = db.session.scalars(select(Invitation).where(Invitation.token == token,
                                                             Invitation.accepted_at.is_(None))).first()
    if invitation is None:
        return render_template("error.html", code=404, message=_("This invitation is unknown or already used.")), 404
    user = find_user(invitation.email)
    if user is not None and current_user != user:
        # The token proves the invitee reads that mailbox, not that they own the existing account.
        flash(_("Sign in as %(email)s to accept the invitation.", email=invitation.email), "info")
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
