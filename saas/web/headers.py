"""Security headers on every answer (flask-talisman): a Content-Security-Policy with no inline script, no framing,
no MIME sniffing, a same-origin Referer; in production, HTTPS only (HSTS, a redirect, Secure cookies).

The portal has no inline script or style, so its policy allows only its own files. rq-dashboard, the operators'
queue view, runs inline scripts: its pages alone get them, and only administrators reach those pages.
"""
from flask_talisman import Talisman

POLICY = {"default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
          "object-src": "'none'", "base-uri": "'none'", "form-action": "'self'", "frame-ancestors": "'none'"}
QUEUE_VIEW_POLICY = {**POLICY, "script-src": "'self' 'unsafe-inline'", "style-src": "'self' 'unsafe-inline'"}
# Probed by the platform's router over plain HTTP inside its network.
PLAIN_HTTP_ENDPOINTS = ("health.healthz",)


def install(app) -> None:
    production = app.config["APP_ENV"] == "production"
    app.extensions["talisman"] = Talisman(app, content_security_policy=POLICY, force_https=production,
                                          strict_transport_security=production, session_cookie_secure=production,
                                          referrer_policy="same-origin", frame_options="DENY")


def after_blueprints(app) -> None:
    """Per-view exceptions, once the views exist."""
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("rq_dashboard.") and endpoint != "rq_dashboard.static":
            view.talisman_view_options = {"content_security_policy": QUEUE_VIEW_POLICY}
        elif endpoint in PLAIN_HTTP_ENDPOINTS:
            view.talisman_view_options = {"force_https": False}
