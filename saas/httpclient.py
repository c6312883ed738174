"""Every outbound HTTP call of the product: pooled sessions under the egress policy, and one mapping of failures to the
three error types.

429 → RetryableError with Retry-After; 5xx, timeouts, connection failures → RetryableError; 401/403 → AuthError;
any other 4xx, and a redirect (never followed: it could lead anywhere) → PermanentError carrying the service's own
message. An address the egress policy refuses (``saas/egress.py``) → RefusedAddress, and nothing is sent. The clients
never loop: retrying is the jobs' business.
"""
import os
import threading
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlsplit

import requests
from cachetools import LRUCache
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from saas import metrics
from saas.egress import EgressPolicy
from saas.i18n import N_, msg
from saas.integration_errors import AuthError, PermanentError, RetryableError


class _Pinned:
    """A connection that asks the policy for the host's checked addresses (one resolution) and connects to one of
    them, not to the name: a DNS answer that changes after the check cannot redirect it. TLS still verifies the
    certificate against the name, which ``host`` keeps."""

    policy: EgressPolicy

    def _new_conn(self):
        name = self._dns_host
        failure = None
        for address in self.policy.addresses(name, self.port):
            self._dns_host = address
            try:
                return super()._new_conn()
            except OSError as exc:  # urllib3's NewConnectionError and ConnectTimeoutError: the next address
                failure = exc
            finally:
                self._dns_host = name
        raise failure


def _pinned_adapter(policy: EgressPolicy, pool_size: int) -> HTTPAdapter:
    connections = {scheme: type(f"Pinned{base.__name__}", (_Pinned, base), {"policy": policy})
                   for scheme, base in (("http", HTTPConnection), ("https", HTTPSConnection))}
    pools = {scheme: type(f"Pinned{base.__name__}", (base,), {"ConnectionCls": connections[scheme]})
             for scheme, base in (("http", HTTPConnectionPool), ("https", HTTPSConnectionPool))}
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = pools
    return adapter


def pooled_session(base_url: str, pool_size: int = 64, policy: EgressPolicy | None = None,
                   service: str = "") -> requests.Session:
    """The environment (proxies, CA bundle) is read here, once, instead of on every call as requests does by default:
    that reading was an eighth of the CPU a freight quote costs (0.2 of 1.75 ms). No cookie is kept: both APIs
    authenticate each call by its headers, and a session serves every tenant of its host."""
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    session.egress = (policy or current_policy(), service)
    adapter = _pinned_adapter(session.egress[0], pool_size)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def current_policy() -> EgressPolicy:
    """The app's policy (``create_app`` makes it from the configuration), or the environment's outside an app."""
    from flask import current_app, has_app_context
    if has_app_context() and "egress" in current_app.extensions:
        return current_app.extensions["egress"]
    global _environment_policy
    if _environment_policy is None:
        from saas.config import load_config
        _environment_policy = EgressPolicy.from_config(load_config())
    return _environment_policy


_environment_policy: EgressPolicy | None = None


class _Sessions(LRUCache):
    """Sessions by key; the least recently used beyond ``maxsize`` is closed, and its sockets with it."""

    def popitem(self):
        key, session = super().popitem()
        session.close()
        return key, session


_sessions = _Sessions(maxsize=512)
_sessions_lock = threading.Lock()


def session_for(service: str, base_url: str) -> requests.Session:
    """One pooled session per service, base URL and policy, shared by the process's threads and tenants: urllib3's
    pool is thread-safe, and open sockets then follow the calls made at once, not threads × tenants."""
    policy = current_policy()
    key = (service, base_url, policy)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = pooled_session(base_url, policy=policy, service=service)
        return session


def send(session: requests.Session, method: str, url: str, *, service: str, timeout: float, marketplace: str = "",
         **kwargs):
    """One call; ``marketplace``: the connector it is made for, counted in the calls' metric."""
    _check_destination(session, url)
    counted = dict(service=getattr(session, "egress", (None, ""))[1] or service, marketplace=marketplace)
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout as exc:
        metrics.count("saas_outbound_calls_total", status="timeout", **counted)
        seconds = f"{timeout:g}"
        raise RetryableError(f"{service} did not answer within {seconds}s", said=msg(
            "%(service)s did not answer within %(seconds)s s", service=service, seconds=seconds)) from exc
    except requests.ConnectionError as exc:
        metrics.count("saas_outbound_calls_total", status="unreachable", **counted)
        raise RetryableError(f"{service} could not be reached ({type(exc).__name__})", said=msg(
            "%(service)s could not be reached (%(error)s)", service=service, error=type(exc).__name__)) from exc
    status = response.status_code
    metrics.count("saas_outbound_calls_total", status="429" if status == 429 else f"{status // 100}xx", **counted)
    check(response, service)
    return response


# What an HTTP status means for the merchant, said before the service's own words (which come in its language).
STATUS_MEANINGS = {400: N_("request refused"), 401: N_("key refused"), 403: N_("access denied"),
                   404: N_("not found"), 409: N_("conflict"), 422: N_("data refused"),
                   429: N_("too many calls, wait"), 500: N_("service error"), 502: N_("service unavailable"),
                   503: N_("service unavailable"), 504: N_("service did not answer in time")}


def check(response: requests.Response, service: str) -> None:
    status = response.status_code
    if status < 300:
        return
    if status < 400:
        raise PermanentError(f"{service} answered {status}, a redirect, which is not followed", status=status,
                             said=msg("%(service)s answered %(status)s, a redirect, which is not followed",
                                      service=service, status=status))
    words = service_message(response)
    message = f"{service} answered {status}: {words}"
    meaning = STATUS_MEANINGS.get(status) or (N_("service error") if status >= 500 else N_("request refused"))
    said = msg("%(service)s answered %(status)s (%(meaning)s): “%(words)s”", service=service, status=status,
               meaning=msg(meaning), words=words) if words else \
        msg("%(service)s answered %(status)s (%(meaning)s)", service=service, status=status, meaning=msg(meaning))
    if status == 429:
        raise RetryableError(message, status=status, retry_after=_retry_after(response), said=said)
    if status >= 500:
        raise RetryableError(message, status=status, said=said)
    if status in (401, 403):
        raise AuthError(message, status=status, said=said)
    raise PermanentError(message, status=status, said=said)


def _check_destination(session: requests.Session, url: str) -> None:
    """The URL's form under the session's policy (https, VTEX's domains); its addresses are checked as the connection
    is made. Through a proxy of the environment the proxy connects: the name is checked here where it resolves (a
    proxy's network may resolve names this host cannot), and nothing can be pinned."""
    policy, service = getattr(session, "egress", (None, None))
    if policy is None:
        return
    host, port = policy.check_url(url, vtex=service == "vtex")
    if session.proxies.get(urlsplit(url).scheme):  # NO_PROXY was applied when the session was made
        try:
            policy.addresses(host, port)
        except RetryableError:
            pass  # unknown here: the proxy resolves it


def service_message(response: requests.Response) -> str:
    """The service's own explanation: Mirakl's ``message``, VTEX's ``error.message``, or the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:500]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for key in ("message", "Message", "error", "status_message"):
            if body.get(key):
                return str(body[key])
    return str(body)[:500]


def _retry_after(response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
