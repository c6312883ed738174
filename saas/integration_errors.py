"""The failures of a call to VTEX, a marketplace or any address the product calls: what every layer raises and catches,
so they live below all of them (``saas.httpclient`` maps HTTP answers to them, the egress policy refuses with them)."""
from saas.i18n import Text


class IntegrationError(Exception):
    """A call to a marketplace or to VTEX failed. ``message``: in English, for the logs, the service's own words
    where it gave any; ``said``: what the merchant reads, our sentence in their language around the service's words
    where we have one (``message`` otherwise)."""

    def __init__(self, message: str, *, status: int | None = None, said: Text | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.said = said or message


class RetryableError(IntegrationError):
    """Try again later: 429 (``retry_after`` seconds when the service said), 5xx, timeouts, connection failures."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 said: Text | None = None):
        super().__init__(message, status=status, said=said)
        self.retry_after = retry_after


class AuthError(IntegrationError):
    """401/403: the credentials are wrong or expired; the merchant must fix them."""


class PermanentError(IntegrationError):
    """The request itself is wrong (other 4xx): recorded, not retried."""


class RefusedAddress(PermanentError):
    """The egress policy refused the address (``saas/egress.py``); ``reason``: scheme, domain, private or invalid.
    Nothing was sent."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason
