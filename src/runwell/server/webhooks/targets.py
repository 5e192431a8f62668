"""Which hosts a webhook may call: public addresses, plus what an admin allows.

A webhook URL is checked twice. When it is stored (create, update) its host is resolved and
every address must be allowed, so a mistake is a 400 that names the address. When a delivery
is sent the host is resolved again and the connection goes to one of the addresses that were
just checked (``Target.addresses``), never to a second lookup's answer, so a name that later
resolves elsewhere (DNS rebinding) cannot steer a delivery into the private network.

An address is allowed when it is global and not multicast (``ipaddress``'s ``is_global``,
after unwrapping an IPv4 address carried inside IPv6: mapped, 6to4, NAT64), or when
RUNWELL_WEBHOOK_ALLOWED_HOSTS lists it: comma-separated host names (their every address is
then allowed), IP addresses, networks (``10.0.0.0/8``) or ``*`` for any address. MLflow's
nearest setting is the all-or-nothing ``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS``.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

from runwell import env
from runwell.errors import InvalidArgument

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# A lookup that hangs must not hold a request thread (or a delivery worker) for minutes.
RESOLVE_TIMEOUT_S = 5.0


class RefusedTarget(InvalidArgument):
    """The URL's host resolves to an address webhooks may not reach (a 400 at create/update)."""


@dataclass(frozen=True)
class Allowed:
    """RUNWELL_WEBHOOK_ALLOWED_HOSTS, parsed."""

    names: frozenset[str]
    networks: tuple[IPNetwork, ...]
    everything: bool = False

    @classmethod
    def from_env(cls) -> Allowed:
        raw = env.get(env.WEBHOOK_ALLOWED_HOSTS) or ""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        everything = False
        for entry in (e.strip() for e in raw.split(",")):
            if not entry:
                continue
            if entry == "*":
                everything = True
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                names.add(entry.lower().rstrip("."))
        return cls(frozenset(names), tuple(networks), everything)

    def permits(self, host: str, address: IPAddress) -> bool:
        if self.everything or host.lower().rstrip(".") in self.names:
            return True
        return any(address in net or _unwrapped(address) in net for net in self.networks)


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv6 transition address, else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is None and address in _NAT64:
            inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if inner is not None:
            return inner
    return address


def is_public(address: IPAddress) -> bool:
    inner = _unwrapped(address)
    # is_global calls some multicast ranges global; a webhook has no business there.
    return inner.is_global and not inner.is_multicast


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the addresses checked), and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent on the request line
    addresses: tuple[str, ...]


def _resolve(host: str, port: int) -> list[str]:
    found: dict[str, object] = {}

    def lookup() -> None:
        try:
            found["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            found["error"] = exc

    worker = threading.Thread(target=lookup, name="runwell-webhook-dns", daemon=True)
    worker.start()
    worker.join(RESOLVE_TIMEOUT_S)
    if worker.is_alive():
        raise InvalidArgument(
            f"Timed out resolving webhook URL hostname {host!r} after {RESOLVE_TIMEOUT_S:g} s."
        )
    if "error" in found:
        raise InvalidArgument(f"Cannot resolve webhook URL hostname {host!r}: {found['error']}")
    infos = found["infos"]
    assert isinstance(infos, list)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_target(url: str) -> Target:
    """Resolve ``url``'s host and check every address it has (see the module docstring).

    Raises:
        InvalidArgument: the URL is not http(s) with a host, or its host does not resolve.
        RefusedTarget: an address is private, loopback, link-local or reserved and
            RUNWELL_WEBHOOK_ALLOWED_HOSTS does not allow it.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument(f"Invalid webhook URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument(
            f"Invalid webhook URL scheme: {parts.scheme!r}. Allowed schemes are: http, https."
        )
    host = parts.hostname
    if not host:
        raise InvalidArgument(f"Webhook URL must include a hostname: {url!r}")
    port = port or (443 if parts.scheme == "https" else 80)
    allowed = Allowed.from_env()
    addresses = _resolve(host, port)
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
        if not is_public(address) and not allowed.permits(host, address):
            raise RefusedTarget(
                f"Webhook URL host {host!r} resolves to {address}, a private, loopback, "
                "link-local or reserved address; webhooks may only call public addresses "
                f"unless an admin lists the host in {env.WEBHOOK_ALLOWED_HOSTS}."
            )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, tuple(addresses))
