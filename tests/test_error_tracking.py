"""Error tracking with Sentry's SDK: real events, made by real errors in a request and in a job, caught by a transport
that keeps them instead of sending them, carry the error and none of the secrets or customer data around it."""
import json

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from saas import create_app, errors

SHOP_KEY = "shop-key-0123456789abcdef0123456789abcdef"
CPF, EMAIL = "625.035.967-97", "maria.souza@cliente.example"


class Kept(Transport):
    """Sentry's transport for this test: each event kept as the SDK would send it."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        for item in envelope.items:
            if item.type == "event":
                self.events.append(json.loads(item.payload.get_bytes()))


@pytest.fixture
def tracked(app, monkeypatch):
    """The product's own Sentry set-up, with a DSN, sending to a kept transport."""
    kept = Kept()
    real_init = sentry_sdk.init
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: real_init(transport=kept, **options))
    tracked_app = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "REDIS_URL",
                                                             "RATELIMIT_STORAGE_URI")},
                              "SENTRY_DSN": "https://public@o0.ingest.sentry.io/0", "TESTING": False,
                              "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False})
    tracked_app.extensions["egress"] = app.extensions["egress"]

    @tracked_app.post("/boom/<path:rest>")
    def boom(rest):
        shop_key, customer = SHOP_KEY, {"cpf": CPF, "email": EMAIL}  # noqa: F841 (locals a frame would carry)
        raise RuntimeError(f"Mirakl refused {SHOP_KEY} for {EMAIL} (CPF {CPF})")
    yield tracked_app, kept
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # no DSN: the other tests send nothing


def test_a_request_error_reaches_sentry_without_a_secret_or_a_customer(tracked):
    app, kept = tracked
    response = app.test_client().post(
        f"/boom/api/vtex/loja-a/whsec-abcdefghijklmnopqrstuvwxyz012345/notification?token={SHOP_KEY}",
        data={"shop_key": SHOP_KEY, "email": EMAIL},
        headers={"Authorization": SHOP_KEY, "X-VTEX-API-AppToken": "apptoken-secret-value",
                 "Cookie": "session=abcdef"})
    assert response.status_code == 500
    event = next(e for e in kept.events if "exception" in e)  # the error (its log line comes as an event too)
    shown = json.dumps(kept.events)
    assert event["exception"]["values"][0]["type"] == "RuntimeError"  # the error itself is there
    assert "Mirakl refused" in event["exception"]["values"][0]["value"]
    for secret in (SHOP_KEY, "apptoken-secret-value", "whsec-abcdefghijklmnopqrstuvwxyz012345", "session=abcdef",
                   EMAIL, CPF, "62503596797"):
        assert secret not in shown, secret
    assert all("vars" not in frame for value in event["exception"]["values"]
               for frame in value["stacktrace"]["frames"])  # no local variables
    assert event["request"]["headers"]["Authorization"] == errors.REMOVED


def test_a_job_error_reaches_sentry_scrubbed_too(tracked):
    app, kept = tracked
    with app.app_context():
        try:
            raise ValueError(f"VTEX answered 401 for key vtexappkey-loja-{SHOP_KEY} and {EMAIL}")
        except ValueError:
            sentry_sdk.capture_exception()
    event = next(e for e in kept.events if "exception" in e)
    assert SHOP_KEY not in json.dumps(kept.events) and EMAIL not in json.dumps(kept.events)
    assert "VTEX answered 401" in event["exception"]["values"][0]["value"]


def test_without_a_dsn_nothing_is_started(app):
    assert errors.install(app) is False
