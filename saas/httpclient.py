"""What the Mirakl and VTEX clients share: a pooled session, and one mapping of failures to the three error types.

429 → RetryableError with Retry-After; 5xx, timeouts, connection failures → RetryableError; 401/403 → AuthError;
any other 4xx → PermanentError carrying the service's own message. The clients never loop: retrying is the jobs'
business.
"""
import threading

import requests
from requests.adapters import HTTPAdapter

from saas.connectors.base import AuthError, PermanentError, RetryableError


def pooled_session(pool_size: int = 20) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


_local = threading.local()


def session_for(*key) -> requests.Session:
    """One pooled session per key (service, base URL, credential) and thread, reused across calls."""
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    if key not in pool:
        pool[key] = pooled_session()
    return pool[key]


def send(session: requests.Session, method: str, url: str, *, service: str, timeout: float, **kwargs):
    try:
        response = session.request(method, url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise RetryableError(f"{service} did not answer within {timeout:g}s") from exc
    except requests.ConnectionError as exc:
        raise RetryableError(f"{service} could not be reached ({type(exc).__name__})") from exc
    check(response, service)
    return response


def check(response: requests.Response, service: str) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{service} answered {status}: {service_message(response)}"
    if status == 429:
        raise RetryableError(message, status=status, retry_after=_retry_after(response))
    if status >= 500:
        raise RetryableError(message, status=status)
    if status in (401, 403):
        raise AuthError(message, status=status)
    raise PermanentError(message, status=status)


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
