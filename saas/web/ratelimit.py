"""Rate limits: fixed windows counted in Redis (``RATELIMIT_STORAGE_URI``) by the `limits` library, checked only by the
routes that ask. (Flask-Limiter, which wraps the same library, looks for limits on every request of the app, routes
without one included: 0.07 ms a request, a twelfth of a cached freight quote.)

While Redis is down the limits are counted in the process instead (each web process then allows the full limit):
sign-in and freight quotes keep working, and the log says so once.
"""
import logging
from functools import wraps

from flask import abort, current_app, request
from limits import parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def within(setting: str, *identifiers: str) -> bool:
    """Count one hit against the limit named by the config ``setting`` (e.g. ``10 per minute``) for ``identifiers``;
    False once the window's hits are spent."""
    app = current_app._get_current_object()
    limiters = app.extensions.get("rate_limiters")
    if limiters is None:
        shared = FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"],
                                                              socket_timeout=2, socket_connect_timeout=1))
        limiters = app.extensions["rate_limiters"] = {"shared": shared, "local": None}
    limit = parse(app.config[setting])
    try:
        allowed = limiters["shared"].hit(limit, setting, *identifiers)
    except RedisError as exc:
        if limiters["local"] is None:
            log.warning("rate limits counted per process: Redis is unreachable (%s)", type(exc).__name__)
            limiters["local"] = FixedWindowRateLimiter(MemoryStorage())
        return limiters["local"].hit(limit, setting, *identifiers)
    if limiters["local"] is not None:
        log.warning("rate limits counted in Redis again")
        limiters["local"] = None
    return allowed


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
