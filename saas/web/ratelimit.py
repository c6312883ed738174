"""Rate limits: fixed windows counted in Redis (``RATELIMIT_STORAGE_URI``) by the `limits` library, checked only by the
routes that ask. (Flask-Limiter, which wraps the same library, looks for limits on every request of the app, routes
without one included: 0.07 ms a request, a twelfth of a cached freight quote.)"""
from functools import wraps

from flask import abort, current_app, request
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter


def within(setting: str, *identifiers: str) -> bool:
    """Count one hit against the limit named by the config ``setting`` (e.g. ``10 per minute``) for ``identifiers``;
    False once the window's hits are spent."""
    app = current_app._get_current_object()
    limiter = app.extensions.get("rate_limiter")
    if limiter is None:
        storage = storage_from_string(app.config["RATELIMIT_STORAGE_URI"])
        limiter = app.extensions["rate_limiter"] = FixedWindowRateLimiter(storage)
    return limiter.hit(parse(app.config[setting]), setting, *identifiers)


def limit_posts(setting: str):
    """A view decorator: a POST beyond the limit of ``setting`` for the client's address is answered 429."""
    def decorator(view):
        @wraps(view)
        def limited(*args, **kwargs):
            if request.method == "POST" and not within(setting, request.remote_addr or "unknown"):
                abort(429)
            return view(*args, **kwargs)
        return limited
    return decorator
