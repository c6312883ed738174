"""After sign-in and after an action the browser goes to one of the app's own pages, never to a site an attacker
named in ``next`` or in the Referer."""
import pytest

from saas.web.redirects import safe_next
from tests.conftest import PASSWORD, login

# The classic ways to smuggle another host into a "local" redirect, as the app receives them (decoded).
HOSTILE = ["//evil.example", "/\\evil.example", "/\t/evil.example", "https:evil.example", "http://evil.example",
           "\\\\evil.example", "///evil.example", "javascript:alert(1)", "evil.example", "/\n/evil.example",
           " //evil.example", "/\\/evil.example", "//%65vil.example"]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_next_that_leaves_the_site_is_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/t/loja-a/orders/?status=failed", "/", "/t/loja-a/bridge/product#top"])
def test_a_path_of_the_site_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_never_sends_the_browser_elsewhere(client, owner, target):
    response = client.post("/login", query_string={"next": target}, data={"email": owner.email,
                                                                           "password": PASSWORD})
    if response.status_code == 400:  # a control character in the address is refused before sign-in
        return
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_sign_in_goes_to_the_page_asked_for(client, owner, tenant):
    response = client.post("/login?next=/t/loja-a/orders/", data={"email": owner.email, "password": PASSWORD})
    assert response.headers["Location"] == "/t/loja-a/orders/"


def test_actions_go_back_to_a_known_page_whatever_the_referer(client, owner, tenant):
    login(client, owner.email)
    evil = {"Referer": "https://evil.example/phish"}
    resend = client.post("/t/loja-a/bridge/resend", data={"sku": "1001", "entity": "price"}, headers=evil)
    assert resend.headers["Location"] == "/t/loja-a/bridge/price"
    resend = client.post("/t/loja-a/bridge/resend", data={"sku": "1001", "entity": "https://evil"}, headers=evil)
    assert resend.headers["Location"] == "/t/loja-a/bridge/product"
    reprocess = client.post("/t/loja-a/orders/reprocess", data={}, headers=evil)
    assert reprocess.headers["Location"] == "/t/loja-a/orders/"
