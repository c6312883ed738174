"""Sign-up, sign-in, sign-out, password change and invitation acceptance."""
import secrets
from datetime import timedelta
from functools import cache

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from saas.extensions import db
from saas.mail import send_mail
from saas.tenants.models import Invitation, User
from saas.tenants.service import create_tenant, find_user, grant, normalize_email, slug_taken
from saas.timeutil import utcnow
from saas.web.forms import AcceptInviteForm, LoginForm, PasswordChangeForm, SignupForm
from saas.web.ratelimit import limit_posts
from saas.web.redirects import safe_next

bp = Blueprint("auth", __name__)
FREE_ATTEMPTS = 5
FIRST_WAIT, LONGEST_WAIT = timedelta(seconds=30), timedelta(minutes=15)


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
            flash("Conta criada. Agora ative um marketplace na página Marketplace.", "success")
            return redirect(url_for("portal.marketplace", slug=tenant.slug))
    return render_template("auth/signup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limit_posts("LOGIN_RATE_LIMIT")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = find_user(form.email.data)
        wait = _still_locked(user)
        if wait:
            form.password.errors.append(f"Muitas senhas erradas para esta conta: tente de novo em {wait}.")
        elif _password_matches(user, form.password.data):
            user.failed_logins, user.locked_until = 0, None
            db.session.commit()
            login_user(user)
            return redirect(safe_next(request.args.get("next")) or url_for("account.home"))
        else:
            _count_failure(user)
            form.password.errors.append("E-mail or password is wrong.")
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


def _still_locked(user) -> str:
    """How long the account must still wait, in words; empty when it may try."""
    if user is None or user.locked_until is None or user.locked_until <= utcnow():
        return ""
    seconds = int((user.locked_until - utcnow()).total_seconds()) + 1
    return f"{seconds} segundos" if seconds < 120 else f"{-(-seconds // 60)} minutos"


def _count_failure(user) -> None:
    """Past FREE_ATTEMPTS wrong passwords in a row, each one makes the account wait twice as long as the last (the
    per-address limit alone lets a botnet try one account forever); the owner is told at the first wait."""
    if user is None:
        return
    # One statement, so that attempts in parallel each count.
    failures = db.session.execute(update(User).where(User.id == user.id)
                                  .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins)
                                  ).scalar_one()
    over = failures - FREE_ATTEMPTS
    if over >= 0:
        user.locked_until = utcnow() + min(FIRST_WAIT * 2 ** over, LONGEST_WAIT)
    db.session.commit()
    if over == 0:
        send_mail(user.email, "Tentativas de acesso à sua conta",
                  f"Houve {FREE_ATTEMPTS} tentativas seguidas de entrar na sua conta com a senha errada, a última "
                  f"do endereço {request.remote_addr}. Por segurança, novas tentativas esperam alguns minutos.\n\n"
                  "Se não foi você, troque a senha assim que entrar.")


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
