"""The clients' HTTP sessions: the environment's proxy settings are read once, when a session is made (requests would
read the whole environment on every call), and still honoured; sessions are shared by threads and tenants, so that
open sockets follow the calls made at once rather than threads × tenants, and so they keep no cookie; the least
recently used are closed beyond a bound."""
import http.server
import threading
import time
from dataclasses import dataclass, field

import pytest

from saas import httpclient
from saas.vtex.client import VtexClient


@dataclass
class Recorder:
    url: str
    targets: list = field(default_factory=list)  # request-line targets: an absolute URL when asked as a proxy
    ports: set = field(default_factory=set)  # the client ports, one per connection
    closed: list = field(default_factory=list)
    cookies: list = field(default_factory=list)  # the Cookie header of each request, None when absent


@pytest.fixture
def recorder(app):
    """One keep-alive HTTP server that answers anything."""
    record = Recorder("")

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            record.targets.append(self.path)
            record.ports.add(self.client_address[1])
            record.cookies.append(self.headers.get("Cookie"))
            self.send_response(200)
            self.send_header("Set-Cookie", "sid=whoever-called-first; Path=/")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def finish(self):
            super().finish()
            record.closed.append(self.client_address[1])

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    record.url = f"http://127.0.0.1:{server.server_port}"
    app.extensions["egress"].allow(record.url)  # as OUTBOUND_ALLOW lets make run reach its simulators
    yield record
    app.extensions["egress"].allowed.discard(("127.0.0.1", server.server_port))
    server.shutdown()


def test_calls_go_through_the_proxy_of_the_environment(recorder, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", recorder.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    VtexClient("http://loja-proxy.vtexcommercestable.com.br", "key-proxied", "token").sku_ids_of_trade_policy("1")
    assert recorder.targets[0].startswith("http://loja-proxy.vtexcommercestable.com.br/api/catalog_system/")


def test_no_proxy_hosts_are_called_directly(recorder, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: a proxied call would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    VtexClient(recorder.url, "key-direct", "token").sku_ids_of_trade_policy("1")
    assert recorder.targets[0].startswith("/api/catalog_system/")


def test_threads_share_one_connection_when_their_calls_do_not_overlap(app, recorder):
    def call():
        with app.app_context():  # as the order importer's threads run
            VtexClient(recorder.url, "key-shared", "token").sku_ids_of_trade_policy("1")

    for _ in range(10):
        thread = threading.Thread(target=call)
        thread.start()
        thread.join()
    assert len(recorder.targets) == 10
    assert len(recorder.ports) == 1


def test_tenants_of_one_host_share_its_connections_and_no_cookie(recorder):
    VtexClient(recorder.url, "key-of-store-a", "token-a").sku_ids_of_trade_policy("1")
    VtexClient(recorder.url, "key-of-store-b", "token-b").sku_ids_of_trade_policy("1")
    assert len(recorder.ports) == 1
    assert recorder.cookies == [None, None]  # store A's cookie never reaches the call made for store B


def test_a_session_beyond_the_bound_is_closed_with_its_socket(recorder):
    sessions = httpclient._Sessions(maxsize=1)
    sessions["first"] = httpclient.pooled_session(recorder.url)
    sessions["first"].get(recorder.url + "/first").raise_for_status()
    assert recorder.closed == []
    sessions["second"] = httpclient.pooled_session(recorder.url)
    deadline = time.monotonic() + 5
    while not recorder.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.closed == list(recorder.ports)
    assert list(sessions) == ["second"]


def test_a_refusal_reads_in_the_merchants_language_with_the_services_own_words_quoted(app, db, tenant,
                                                                                    requests_mock):
    """What a service answers comes in its language; the sentence around it is ours, in the reader's."""
    import requests

    from saas import bridge
    from saas.bridge.models import BridgeEntry
    from saas.i18n import msg
    from saas.integration_errors import AuthError
    requests_mock.get("https://mirakl.test/api/account", status_code=401, json={"message": "Unauthorized"})
    with pytest.raises(AuthError) as refused:
        httpclient.check(requests.get("https://mirakl.test/api/account"), "Mirakl")
    assert refused.value.message == "Mirakl answered 401: Unauthorized"  # the logs stay in English
    bridge.record(tenant.id, "integration", "carrefour", "error", msg("Key check failed (%(detail)s).",
                                                                     detail=refused.value.said))
    entry = db.session.query(BridgeEntry).one()
    with app.test_request_context():
        assert entry.text == "Key check failed (Mirakl respondeu 401 (chave recusada): “Unauthorized”)."
