"""The clients' sessions read the proxy settings of the environment once, when they are made (requests would read the
whole environment on every call), and still honour them: a proxy is used, and NO_PROXY bypasses it."""
import http.server
import threading

import pytest

from saas.vtex.client import VtexClient


@pytest.fixture
def recorder():
    """One HTTP server that answers anything and records the request line's target: an absolute URL when it was
    asked as a proxy, a path when it was asked directly."""
    targets = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            targets.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"[]")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", targets
    server.shutdown()


def test_calls_go_through_the_proxy_of_the_environment(recorder, monkeypatch):
    proxy, targets = recorder
    monkeypatch.setenv("HTTP_PROXY", proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    VtexClient("http://loja-proxy.vtexcommercestable.com.br", "key-proxied", "token").sku_ids_of_trade_policy("1")
    assert targets[0].startswith("http://loja-proxy.vtexcommercestable.com.br/api/catalog_system/")


def test_no_proxy_hosts_are_called_directly(recorder, monkeypatch):
    url, targets = recorder
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there: a proxied call would fail
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    VtexClient(url, "key-direct", "token").sku_ids_of_trade_policy("1")
    assert targets[0].startswith("/api/catalog_system/")
