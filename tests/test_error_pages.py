"""Error pages speak Portuguese and lead back; an uncaught error is a page for people and JSON for VTEX."""
import pytest

from tests.conftest import login


def test_a_missing_page_says_so_in_portuguese_and_leads_back(client, owner):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert "Página não encontrada." in page and "Not found" not in page
    assert 'href="/login">Voltar ao início' in page
    login(client, owner.email)
    assert 'href="/">Voltar ao início' in client.get("/no-such-page").get_data(as_text=True)


@pytest.fixture
def crashing(app, monkeypatch):
    from saas.web import portal

    def crash(*_args, **_kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(portal, "_connector_cards", crash)
    monkeypatch.setattr("saas.catalog.changes.record", crash)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield
    app.config["PROPAGATE_EXCEPTIONS"] = None


def test_an_uncaught_error_is_a_page_that_leads_back(client, owner, tenant, crashing):
    login(client, owner.email)
    response = client.get("/t/loja-a/marketplace")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Algo deu errado do nosso lado" in page and "Voltar ao início" in page and "Traceback" not in page


def test_an_uncaught_error_on_a_public_route_is_json(client, tenant, crashing):
    response = client.post(f"/api/vtex/loja-a/{tenant.webhook_secret}/notification", json={"IdSku": "1"})
    assert response.status_code == 500 and response.get_json() == {"error": "Internal error; try again shortly."}
