"""Sign-up, sign-in, CSRF, rate limit, password change, invitations, several tenants per user."""
import re
import time

from saas import create_app
from saas.mail import OutboxMessage
from saas.tenants.models import Membership, Tenant, User
from saas.web import signin_guard
from tests.conftest import PASSWORD, add_member, login, make_tenant, make_user

SIGNUP = {"email": "Nova@Loja.example", "password": PASSWORD, "confirm": PASSWORD, "name": "Loja Nova",
          "slug": "loja-nova", "vtex_account": "lojanova", "vtex_app_key": "k", "vtex_app_token": "t"}
AFFILIATES = "https://{}.vtexcommercestable.com.br/api/fulfillment/pvt/affiliates"


def test_signup_creates_the_user_and_a_first_tenant_owned_by_them(client, db, requests_mock):
    requests_mock.get(AFFILIATES.format("lojanova"), json=[])
    response = client.post("/signup", data=SIGNUP)
    assert requests_mock.last_request.headers["X-VTEX-API-AppKey"] == "k"  # the credentials were tried live
    assert response.status_code == 302 and response.headers["Location"].endswith("/t/loja-nova/marketplace")
    user = db.session.query(User).one()
    assert user.email == "nova@loja.example" and user.password_hash != PASSWORD and user.check_password(PASSWORD)
    membership = db.session.query(Membership).one()
    assert membership.role == "owner" and membership.tenant.slug == "loja-nova"
    assert client.get("/t/loja-nova/marketplace").status_code == 200


def test_signup_refuses_a_taken_email_or_slug(client, db, owner, tenant):
    page = client.post("/signup", data={**SIGNUP, "email": owner.email}).get_data(as_text=True)
    assert "já tem conta" in page
    page = client.post("/signup", data={**SIGNUP, "slug": "loja-a"}).get_data(as_text=True)
    assert "já está em uso" in page
    assert db.session.query(User).count() == 1


def test_wrong_password_is_refused(client, owner):
    page = client.post("/login", data={"email": owner.email, "password": "wrong"}).get_data(as_text=True)
    assert "E-mail ou senha incorretos." in page


def attempt(client, email, password, address):
    return client.post("/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address})


def later(monkeypatch, seconds):
    """The back-off's clock, ``seconds`` from now."""
    now = time.time() + seconds
    monkeypatch.setattr(signin_guard, "_now", lambda: now)


def test_an_address_that_keeps_failing_waits_longer_each_time_and_the_owner_is_told_once(client, db, owner,
                                                                                         monkeypatch):
    for _ in range(5):
        assert "senha incorretos" in attempt(client, owner.email, "wrong", "10.0.0.9").get_data(as_text=True)
    mail = db.session.query(OutboxMessage).filter_by(to=owner.email).one()
    assert "5 tentativas" in mail.subject + mail.body and "10.0.0.9" in mail.body
    page = attempt(client, owner.email, PASSWORD, "10.0.0.9").get_data(as_text=True)  # even the right password
    assert "tente de novo em 30 segundos" in page
    later(monkeypatch, 31)
    assert "senha incorretos" in attempt(client, owner.email, "wrong", "10.0.0.9").get_data(as_text=True)
    assert "tente de novo em 60 segundos" in attempt(client, owner.email, PASSWORD, "10.0.0.9").get_data(as_text=True)
    assert db.session.query(OutboxMessage).filter_by(to=owner.email).count() == 1  # told once per streak
    later(monkeypatch, 31 + 61)
    assert attempt(client, owner.email, PASSWORD, "10.0.0.9").status_code == 302


def test_a_strangers_wrong_passwords_never_keep_the_owner_out(app, client, db, owner, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")
    for _ in range(100):
        page = attempt(client, owner.email, "wrong", "203.0.113.66").get_data(as_text=True)
        assert "senha incorretos" in page or "tente de novo" in page
    assert "tente de novo" in attempt(client, owner.email, PASSWORD, "203.0.113.66").get_data(as_text=True)
    assert attempt(client, owner.email, PASSWORD, "198.51.100.7").status_code == 302  # the owner, elsewhere
    assert db.session.query(OutboxMessage).filter_by(to=owner.email).count() == 1


def test_an_address_trying_many_accounts_waits_too(app, client, owner, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1000 per minute")
    for n in range(signin_guard.ADDRESS_ATTEMPTS):
        attempt(client, f"guess{n}@loja-a.example", "wrong", "203.0.113.77")
    assert "tente de novo" in attempt(client, owner.email, PASSWORD, "203.0.113.77").get_data(as_text=True)
    assert attempt(client, owner.email, PASSWORD, "198.51.100.8").status_code == 302


def test_known_and_unknown_accounts_answer_alike_at_every_step(client, owner, monkeypatch):
    later(monkeypatch, 0)  # one instant: both waits read the same number of seconds
    for step in range(8):
        known = attempt(client, owner.email, "wrong", "10.0.3.1")
        unknown = attempt(client, "nobody@loja-a.example", "wrong", "10.0.3.2")
        assert known.status_code == unknown.status_code == 200
        said = [_errors(r.get_data(as_text=True)) for r in (known, unknown)]
        assert said[0] == said[1] and said[0], step


def _errors(page: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]*)<', page)


def test_login_attempts_are_rate_limited(app, client, owner):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        assert client.post("/login", data={"email": owner.email, "password": "wrong"}).status_code == 200
    assert client.post("/login", data={"email": owner.email, "password": PASSWORD}).status_code == 429


def test_behind_the_router_the_login_limit_counts_each_client_apart(app, owner):
    """With PROXY_HOPS=1 (production's default, Heroku's router), the client's address comes from X-Forwarded-For,
    so that one client's wrong passwords do not lock out every merchant behind the same router."""
    behind_router = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL",
                                                               "RATELIMIT_STORAGE_URI", "TESTING")},
                                "WTF_CSRF_ENABLED": False, "PROXY_HOPS": 1})
    client = behind_router.test_client()
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])

    def attempt(client_address, password="wrong"):
        email = owner.email if password == PASSWORD else "someone-else@loja-a.example"  # no account back-off
        return client.post("/login", data={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": "10.1.2.3"},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [attempt("203.0.113.7") for _ in range(limit)] == [200] * limit
    assert attempt("203.0.113.7") == 429
    assert attempt("203.0.113.8", PASSWORD) == 302


def test_without_a_proxy_a_forged_forwarded_address_does_not_escape_the_limit(app, client, owner):
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    for n in range(limit):
        client.post("/login", data={"email": owner.email, "password": "wrong"},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"})
    response = client.post("/login", data={"email": owner.email, "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.250"})
    assert response.status_code == 429


def test_a_post_without_the_csrf_token_is_refused(app, owner):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": owner.email, "password": PASSWORD})
        assert response.status_code == 400
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_session_cookie_is_httponly_and_samesite_lax(client, owner):
    cookie = login(client, owner.email).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(client, owner, tenant):
    login(client, owner.email)
    client.post("/logout")
    assert client.get("/t/loja-a/").status_code == 302


def test_change_password(client, owner):
    login(client, owner.email)
    page = client.post("/account/password", data={"current": "nope", "password": "another password 1",
                                                   "confirm": "another password 1"}).get_data(as_text=True)
    assert "senha atual está incorreta" in page
    client.post("/account/password", data={"current": PASSWORD, "password": "another password 1",
                                           "confirm": "another password 1"})
    client.post("/logout")
    login(client, owner.email, "another password 1")


def test_second_tenant_and_switcher(client, db, owner, tenant, requests_mock):
    requests_mock.get(AFFILIATES.format("lojaab"), json=[])
    login(client, owner.email)
    response = client.post("/tenants/new", data={"name": "Loja", "store_label": "Loja B", "slug": "loja-a-b",
                                                 "vtex_account": "lojaab", "vtex_app_key": "kb",
                                                 "vtex_app_token": "tb"})
    assert response.status_code == 302
    store_b = db.session.query(Tenant).filter_by(slug="loja-a-b").one()
    assert store_b.vtex_app_token == "tb" and store_b.display_name == "Loja · Loja B"
    page = client.get("/t/loja-a/").get_data(as_text=True)
    assert "switcher" in page and "/t/loja-a-b/" in page and "Loja · Loja B" in page


def test_invite_a_new_user_by_email_with_a_role(client, db, owner, tenant, caplog):
    caplog.set_level("DEBUG")
    login(client, owner.email)
    client.post("/t/loja-a/members", data={"email": "Ana@Loja.example", "role": "viewer"})
    mail = db.session.query(OutboxMessage).one()
    assert mail.to == "ana@loja.example" and mail.transport == "outbox"
    link = mail.body.split("http://portal.test")[1].strip()
    assert link.rsplit("/", 1)[1] not in caplog.text  # the invitation's token stays out of the log
    client.post("/logout")
    response = client.post(link, data={"password": "ana password 1", "confirm": "ana password 1"})
    assert response.status_code == 302
    ana = db.session.query(User).filter_by(email="ana@loja.example").one()
    assert db.session.query(Membership).filter_by(user_id=ana.id).one().role == "viewer"
    assert client.get(link).status_code == 404  # used once


def test_an_invitation_to_an_existing_account_needs_that_account_signed_in(client, db, owner, tenant):
    other = make_user("bia@loja.example")
    make_tenant(other, "loja-bia")
    login(client, owner.email)
    client.post("/t/loja-a/members", data={"email": "bia@loja.example", "role": "admin"})
    link = db.session.query(OutboxMessage).one().body.split("http://portal.test")[1].strip()
    client.post("/logout")
    response = client.post(link, data={})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.query(Membership).filter_by(user_id=other.id).count() == 1
    login(client, "bia@loja.example")
    assert client.post(link, data={}).status_code == 302
    assert db.session.query(Membership).filter_by(user_id=other.id).count() == 2


def test_outbox_shows_only_ones_own_mail(client, db, owner, tenant):
    from saas.mail import send_mail
    send_mail(owner.email, "Para o dono", "corpo")
    send_mail("someone@else.example", "Para outro", "corpo")
    login(client, owner.email)
    page = client.get("/outbox").get_data(as_text=True)
    assert "Para o dono" in page and "Para outro" not in page


def test_marketplace_page_shows_carrefours_card(client, owner, tenant):
    login(client, owner.email)
    page = client.get("/t/loja-a/marketplace").get_data(as_text=True)
    assert 'data-connector="carrefour"' in page and "Integrar" in page


def test_viewer_member_of_two_tenants_only_sees_theirs(client, owner, tenant):
    viewer = make_user("v@x.example")
    add_member(viewer, tenant, "viewer")
    login(client, viewer.email)
    assert client.get("/").headers["Location"].endswith("/t/loja-a/")


def test_in_development_sign_up_gives_the_sandbox_credentials(client, monkeypatch):
    assert "vtexappkey-lojademo" not in client.get("/signup").get_data(as_text=True)
    monkeypatch.setenv("SANDBOX_VTEX_URL", "http://127.0.0.1:5101")  # as make run sets it
    page = client.get("/signup").get_data(as_text=True)
    assert "Testando o sandbox?" in page and "vtexappkey-lojademo" in page and "sandbox-shop-key-2" in page
    assert "sandbox-shop-key-demo" not in page  # the demo store holds that one


def test_sign_up_checks_the_vtex_credentials_live_and_says_which_field_to_fix(client, db, requests_mock):
    requests_mock.get(AFFILIATES.format("lojanova"), status_code=401, json={"error": "Unauthorized"})
    page = client.post("/signup", data=SIGNUP).get_data(as_text=True)
    assert "A VTEX recusou esta App Key e este App Token" in page and "Nada foi salvo" in page
    assert 'href="#vtex_app_key"' in page  # the list at the top leads to the field
    page = client.post("/signup", data={**SIGNUP, "vtex_app_key": ""}).get_data(as_text=True)
    assert "Chaves de acesso" in page or "chaves de acesso" in page.lower()
    requests_mock.get(AFFILIATES.format("lojanova"), status_code=503, text="internal detail of the host")
    page = client.post("/signup", data=SIGNUP).get_data(as_text=True)
    assert "O endereço respondeu com um erro (HTTP 503)" in page and 'href="#vtex_account"' in page
    assert "internal detail" not in page  # the answer of an address the visitor typed is never shown
    assert db.session.query(User).count() == 0 and db.session.query(Tenant).count() == 0
