"""Sign-up, sign-in, CSRF, rate limit, password change, invitations, several tenants per user."""
from datetime import timedelta

from saas import create_app
from saas.mail import OutboxMessage
from saas.tenants.models import Membership, Tenant, User
from saas.timeutil import utcnow
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


def test_an_account_waits_longer_after_each_run_of_wrong_passwords_and_its_owner_is_told(client, db, owner):
    """From many addresses (each under the per-address limit), as a botnet would try one account."""
    for n in range(5):
        assert "senha incorretos" in attempt(client, owner.email, "wrong", f"10.0.0.{n}").get_data(as_text=True)
    mail = db.session.query(OutboxMessage).filter_by(to=owner.email).one()
    assert "5 tentativas" in mail.subject + mail.body and "10.0.0.4" in mail.body
    page = attempt(client, owner.email, PASSWORD, "10.0.1.1").get_data(as_text=True)  # even the right password
    assert "tente de novo em 30 segundos" in page
    db.session.expire_all()
    user = db.session.get(User, owner.id)
    user.locked_until = utcnow() - timedelta(seconds=1)  # the wait is over
    db.session.commit()
    assert "senha incorretos" in attempt(client, owner.email, "wrong", "10.0.1.2").get_data(as_text=True)
    assert "tente de novo em 60 segundos" in attempt(client, owner.email, PASSWORD, "10.0.1.3").get_data(as_text=True)
    assert db.session.query(OutboxMessage).filter_by(to=owner.email).count() == 1  # told once per run
    user.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert attempt(client, owner.email, PASSWORD, "10.0.1.4").status_code == 302
    db.session.expire_all()
    assert db.session.get(User, owner.id).failed_logins == 0


def test_an_unknown_email_is_refused_like_a_wrong_password(client, owner):
    for n in range(7):
        page = attempt(client, "nobody@loja-a.example", "wrong", f"10.0.2.{n}").get_data(as_text=True)
        assert "E-mail ou senha incorretos." in page


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
    assert "Testando o sandbox?" in page and "vtexappkey-lojademo" in page and "sandbox-shop-key-demo" in page


def test_sign_up_checks_the_vtex_credentials_live_and_says_which_field_to_fix(client, db, requests_mock):
    requests_mock.get(AFFILIATES.format("lojanova"), status_code=401, json={"error": "Unauthorized"})
    page = client.post("/signup", data=SIGNUP).get_data(as_text=True)
    assert "A VTEX recusou esta App Key e este App Token" in page and "Nada foi salvo" in page
    assert 'href="#vtex_app_key"' in page  # the list at the top leads to the field
    page = client.post("/signup", data={**SIGNUP, "vtex_app_key": ""}).get_data(as_text=True)
    assert "Chaves de acesso" in page or "chaves de acesso" in page.lower()
    requests_mock.get(AFFILIATES.format("lojanova"), status_code=503)
    page = client.post("/signup", data=SIGNUP).get_data(as_text=True)
    assert "Não foi possível falar com a VTEX" in page and 'href="#vtex_account"' in page
    assert db.session.query(User).count() == 0 and db.session.query(Tenant).count() == 0
