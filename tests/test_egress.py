"""The egress policy: an address a person typed (at sign-up, on the Loja page, a marketplace's API URL, the alert
webhook) never reaches the service's own network, whatever its spelling, and its answer is never shown.

Each test runs a listener of its own on a private port that the policy does not allow, as an internal service would
be, and checks that it receives nothing and that no page shows its body."""
import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from urllib3.util import connection as urllib3_connection

from saas import alerts
from saas.egress import EgressPolicy, public_address
from saas.integration_errors import RefusedAddress, RetryableError
from saas.tenants.models import ConnectorSettings, Tenant, User
from saas.vtex.client import VtexClient
from tests.conftest import PASSWORD, login
from tests.test_mirakl_operator import FORM as OPERATOR_FORM
from tests.test_settings import VALID as CARREFOUR_SETTINGS

SECRET_BODY = "INTERNAL-ADMIN-SECRET-BODY"
REFUSED = "não é um endereço público da internet"  # the fixed sentence of a refused address, in Portuguese
SPELLINGS = ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0", "localhost.", "localhost",
             "[::1]", "[::ffff:127.0.0.1]"]
TRICKS = ["/internal-admin?", "/internal-admin#", "/internal-admin?x=", ""]


class Listener:
    """An internal service: it answers anything with a body no outsider should read, and remembers who asked."""

    def __init__(self, family=socket.AF_INET, host="127.0.0.1"):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                hits.append(self.path)
                body = SECRET_BODY.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            address_family = family

        self.server = Server((host, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def listener6():
    try:
        server = Listener(socket.AF_INET6, "::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    yield server
    server.close()


@contextlib.contextmanager
def allowed_server(app, handler):
    """A service of ``handler`` on a private port that the egress policy lets through (as make run's simulators)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    app.extensions["egress"].allow(url)
    try:
        yield url
    finally:
        app.extensions["egress"].allowed.discard(("127.0.0.1", server.server_address[1]))
        server.shutdown()


def urls(port: int) -> list[str]:
    return [f"http://{host}:{port}{trick}" for host in SPELLINGS for trick in TRICKS[:1]] + \
        [f"http://127.0.0.1:{port}{trick}" for trick in TRICKS]


def test_every_spelling_of_loopback_is_refused_before_anything_is_sent(app, listener, listener6):
    for url in urls(listener.port) + urls(listener6.port):
        with pytest.raises(RefusedAddress) as refused:
            VtexClient(url, "key", "token", timeout=2).affiliates()
        assert refused.value.reason == "private", url
    assert listener.hits == [] and listener6.hits == []


@pytest.mark.parametrize("address", ["10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                                     "0.0.0.0", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
                                     "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "::ffff:10.0.0.1",
                                     "2002:7f00:1::", "64:ff9b::a00:1", "2001:0:4136:e378:8000:63bf:3fff:fdd2"])
def test_no_private_reserved_or_wrapped_address_is_public(address):
    assert not public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "200.147.67.142", "2001:4860:4860::8888"])
def test_internet_addresses_are_public(address):
    assert public_address(address)


def test_a_name_is_resolved_once_and_the_connection_goes_to_the_address_checked(app, listener, monkeypatch):
    """DNS rebinding: the first answer is public, the next would be the listener. The connection must go to the
    first, the one that was checked, and never ask the resolver again."""
    asked, connected = [], []
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            asked.append(host)
            address = "93.184.216.34" if len(asked) == 1 else "127.0.0.1"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    def no_network(address, *args, **kwargs):  # the test reaches no public address: record where it would go
        connected.append(address)
        raise OSError("no network in tests")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(urllib3_connection, "create_connection", no_network)
    with pytest.raises(RetryableError, match="could not be reached"):
        VtexClient(f"http://rebind.example:{listener.port}", "key", "token", timeout=2).affiliates()
    assert asked == ["rebind.example"] and connected == [("93.184.216.34", listener.port)]
    assert listener.hits == []


def test_a_redirect_from_an_allowed_host_is_not_followed(app, listener):
    """An allowed service (a simulator here) that answers 302 towards the listener: the redirect is an error."""
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{listener.port}/internal-admin")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    with allowed_server(app, Redirect) as url:
        with pytest.raises(Exception) as failed:
            VtexClient(url, "key", "token", timeout=2).affiliates()
        assert failed.value.status == 302
    assert listener.hits == []


def test_production_calls_https_only_and_vtex_on_its_own_domains():
    policy = EgressPolicy(production=True)
    with pytest.raises(RefusedAddress, match="https"):
        policy.check_url("http://loja.vtexcommercestable.com.br/api")
    with pytest.raises(RefusedAddress) as refused:
        policy.check_url("https://vtex.attacker.example/api", vtex=True)
    assert refused.value.reason == "domain"
    assert policy.check_url("https://loja.vtexcommercestable.com.br/api", vtex=True) == (
        "loja.vtexcommercestable.com.br", 443)
    assert policy.check_url("https://mirakl.attacker.example/api") == ("mirakl.attacker.example", 443)  # not VTEX
    named = EgressPolicy.from_config({"APP_ENV": "production", "OUTBOUND_ALLOW": [],
                                      "OUTBOUND_HOSTS": ["vtex-proxy.loja.example"]})
    assert named.check_url("https://api.vtex-proxy.loja.example/x", vtex=True)[0] == "api.vtex-proxy.loja.example"


def test_only_the_named_host_and_port_gets_through(app, listener):
    policy = EgressPolicy.from_config({"APP_ENV": "development", "OUTBOUND_ALLOW": [f"127.0.0.1:{listener.port}"],
                                       "OUTBOUND_HOSTS": []})
    assert policy.addresses("127.0.0.1", listener.port) == ["127.0.0.1"]
    with pytest.raises(RefusedAddress):
        policy.addresses("127.0.0.1", listener.port + 1)
    with pytest.raises(RefusedAddress):
        policy.addresses("localhost", listener.port)  # another name for it is not the pair named


def _shows_nothing_of_the_listener(page: str, listener) -> None:
    assert SECRET_BODY not in page
    assert listener.hits == []


def test_sign_up_with_an_internal_address_reaches_nothing_and_creates_nothing(client, db, listener):
    for url in urls(listener.port):
        page = client.post("/signup", data={
            "email": "atacante@example.com", "password": PASSWORD, "confirm": PASSWORD, "name": "Loja X",
            "slug": "loja-x", "vtex_account": "lojax", "vtex_app_key": "k", "vtex_app_token": "t",
            "vtex_base_url": url}).get_data(as_text=True)
        _shows_nothing_of_the_listener(page, listener)
        assert db.session.query(User).count() == 0 and db.session.query(Tenant).count() == 0
    page = client.post("/signup", data={
        "email": "atacante@example.com", "password": PASSWORD, "confirm": PASSWORD, "name": "Loja X",
        "slug": "loja-x", "vtex_account": "lojax", "vtex_app_key": "k", "vtex_app_token": "t",
        "vtex_base_url": f"http://127.0.0.1:{listener.port}/internal-admin?"}).get_data(as_text=True)
    assert REFUSED in page


def test_the_store_page_refuses_an_internal_vtex_address(client, db, owner, tenant, listener):
    login(client, owner.email)
    for url in urls(listener.port):
        page = client.post("/t/loja-a/store", data={
            "name": "Loja A", "slug": "loja-a", "vtex_account": "lojaa", "vtex_app_key": "k2",
            "vtex_app_token": "t2", "vtex_base_url": url}).get_data(as_text=True)
        _shows_nothing_of_the_listener(page, listener)
    assert REFUSED in page
    db.session.refresh(tenant)
    assert tenant.vtex_base_url == "https://vtex.test"


@pytest.mark.parametrize("key, form", [
    ("carrefour", CARREFOUR_SETTINGS),
    ("mirakl", {**OPERATOR_FORM, "shop_key": "operator-key-123", "active": "no"}),  # saving reads its types (SH12)
])
def test_the_marketplace_page_refuses_an_internal_api_url_and_the_key_goes_nowhere(client, db, owner, tenant,
                                                                                  listener, key, form):
    login(client, owner.email)
    for url in urls(listener.port):
        page = client.post(f"/t/loja-a/marketplace/{key}", data={**form, "api_url": url}) \
            .get_data(as_text=True)
        _shows_nothing_of_the_listener(page, listener)
    assert REFUSED in page
    assert db.session.query(ConnectorSettings).count() == 0


def _tested(client) -> str:
    """The Loja page after its "Enviar um teste" button."""
    assert client.post("/t/loja-a/store/alerts/test").status_code == 302
    return client.get("/t/loja-a/store").get_data(as_text=True)


def test_the_alert_webhook_refuses_internal_addresses_when_saved_and_when_delivered(app, client, db, owner, tenant,
                                                                                   listener):
    login(client, owner.email)
    for url in urls(listener.port):
        page = client.post("/t/loja-a/store/alerts", data={"webhook_url": url}).get_data(as_text=True)
        _shows_nothing_of_the_listener(page, listener)
        assert alerts.webhook_of(tenant) is None
    assert REFUSED in page
    # stored before this policy (or by a name that resolved elsewhere then): refused at delivery, not retried
    alerts.configure(tenant, f"http://localhost:{listener.port}/hook")
    db.session.commit()
    assert alerts.deliver(tenant.id, '{"event": "order_failed"}') == "refused address"
    page = _tested(client)
    assert REFUSED in page
    _shows_nothing_of_the_listener(page, listener)


def test_the_alert_webhooks_test_button_says_what_happened_in_a_fixed_sentence(app, client, db, owner, tenant):
    received = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append((self.headers.get(alerts.EVENT_HEADER), self.rfile.read(length)))
            body = b"receiver's own words"
            self.send_response(200 if len(received) == 1 else 418)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    with allowed_server(app, Receiver) as base:
        url = base + "/hook"
        login(client, owner.email)
        assert client.post("/t/loja-a/store/alerts", data={"webhook_url": url}).status_code == 302
        page = _tested(client)
        assert "O alerta de teste foi entregue." in page and received[0][0] == "test"
        page = _tested(client)
        assert "HTTP 418" in page and "receiver's own words" not in page
