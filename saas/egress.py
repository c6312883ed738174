"""The egress policy: where the product may send a request whose address a person typed (a store's VTEX URL, a
marketplace's API URL, an alert webhook).

Such an address is a stranger's choice, so a request to it must never reach the service's own network: the host is
resolved once, refused when any of its addresses is not on the public internet, and the connection goes to the
address that was checked (``httpclient`` pins it), so a DNS answer that changes between the check and the connect
cannot switch it. ``OUTBOUND_ALLOW`` names the private ``host:port`` pairs that may be reached all the same (the
simulators of ``make run``); nothing else private gets through, in any environment. In production only ``https`` is
allowed, and a VTEX address must be on VTEX's own domains unless ``OUTBOUND_HOSTS`` names another.
"""
import ipaddress
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask_babel import gettext as _

from saas.integration_errors import AuthError, IntegrationError, RefusedAddress, RetryableError

# VTEX's own hosts: an account's API is https://{account}.vtexcommercestable.com.br, its stores *.myvtex.com, …
VTEX_DOMAINS = ("vtexcommercestable.com.br", "vtexcommercebeta.com.br", "vtexcommerce.com.br", "myvtex.com",
                "vtex.com.br", "vtex.com", "vtexpayments.com.br")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Networks that carry another address inside (IPv4-mapped, 6to4, NAT64, Teredo): the inner one is checked too.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def host_port(raw: str) -> tuple[str, int]:
    """``host:port`` (``[v6]:port`` for IPv6) as the policy compares it: lower case, no trailing dot."""
    host, sep, port = raw.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{raw!r} is not host:port")
    return normal_host(host), int(port)


def normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def public_address(address: str) -> bool:
    """Whether a connection to this address leaves for the internet: not loopback, private, link-local (the cloud
    metadata service), CGNAT, multicast, unspecified or reserved, nor any of these wrapped in an IPv6 address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast or ip.is_reserved:
        return False
    if ip.version == 6:
        inner = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return public_address(str(inner))
    return True


@dataclass
class EgressPolicy:
    production: bool = False
    allowed: set[tuple[str, int]] = field(default_factory=set)  # OUTBOUND_ALLOW
    vtex_hosts: tuple[str, ...] = VTEX_DOMAINS  # VTEX's domains and OUTBOUND_HOSTS

    # Compared by identity: the HTTP sessions made under a policy are kept apart from another's.
    __hash__ = object.__hash__
    __eq__ = object.__eq__

    @classmethod
    def from_config(cls, config) -> "EgressPolicy":
        return cls(production=config["APP_ENV"] == "production",
                   allowed={host_port(item) for item in config["OUTBOUND_ALLOW"]},
                   vtex_hosts=VTEX_DOMAINS + tuple(normal_host(h) for h in config["OUTBOUND_HOSTS"]))

    def allow(self, url: str) -> None:
        """Let the private ``host:port`` of ``url`` through (a simulator started after the policy was made)."""
        parts = urlsplit(url)
        self.allowed.add((normal_host(parts.hostname or ""), parts.port or DEFAULT_PORTS.get(parts.scheme, 0)))

    def check_url(self, url: str, *, vtex: bool = False) -> tuple[str, int]:
        """The URL's (host, port) when its form may be called; RefusedAddress otherwise. Nothing is resolved here."""
        try:
            parts = urlsplit(url)
            port = parts.port or DEFAULT_PORTS.get(parts.scheme)
        except ValueError:
            raise RefusedAddress("the address is not a valid URL", reason="invalid") from None
        host = normal_host(parts.hostname or "")
        if parts.scheme not in (("https",) if self.production else ("https", "http")) or not host or not port:
            raise RefusedAddress(f"only {'https' if self.production else 'http(s)'} addresses are called",
                                 reason="scheme")
        if parts.username or parts.password:
            raise RefusedAddress("an address with credentials in it is not called", reason="invalid")
        if vtex and self.production and (host, port) not in self.allowed and not self._vtex_host(host):
            raise RefusedAddress("a VTEX address must be on VTEX's own domains", reason="domain")
        return host, port

    def _vtex_host(self, host: str) -> bool:
        return any(host == domain or host.endswith("." + domain) for domain in self.vtex_hosts)

    def addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once and answer its addresses, each checked: RefusedAddress when any is not public and
        the pair is not allowed; RetryableError when the name does not resolve (DNS may come back)."""
        host = normal_host(host)
        try:
            answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            raise RetryableError("the address's name does not resolve") from None
        addresses = list(dict.fromkeys(info[4][0] for info in answers))
        if (host, port) not in self.allowed and not all(public_address(a) for a in addresses):
            raise RefusedAddress("the address is not on the public internet", reason="private")
        return addresses


def outcome(exc: IntegrationError) -> str:
    """What the merchant reads when a call to an address they typed failed: one fixed sentence per outcome, on the
    field of that address. The answer itself is never shown: whoever typed the address would read whatever listens
    there."""
    if isinstance(exc, RefusedAddress):
        if exc.reason == "scheme":
            return _("Only addresses that start with https:// are called.")
        if exc.reason == "domain":
            return _("A VTEX address must be on VTEX's own domains, such as "
                     "https://minhaloja.vtexcommercestable.com.br.")
        return _("This address is not called: it is not a public internet address.")
    if isinstance(exc, AuthError):
        return _("The address refused the credentials (HTTP %(status)s): check the key.", status=exc.status)
    if exc.status is None:
        return _("Nothing answered at this address. Check it and try again.")
    return _("The address answered with an error (HTTP %(status)s). Check it, or try again later.",
             status=exc.status)
