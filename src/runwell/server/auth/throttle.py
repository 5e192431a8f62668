"""The sign-in throttle: exponential back-off per client address and per (account, address),
plus a per-account back-off that only addresses new to that account feel.

Every password check (HTTP Basic, the ``/login`` form) is one *attempt* by an account from
an address. Counts live in the database (store/sql/auth_throttle.py), so every worker and
every replica share them.

- **Known pairs.** A successful sign-in makes its (account, address) pair known for
  ``KNOWN_FOR_S``. An attempt from a known pair is held only to that pair's own back-off:
  failures elsewhere — from other addresses, or against other accounts from this one —
  never refuse it. Only someone guessing that very account from that very address can slow
  its owner down there.
- **Addresses.** An attempt from an address that is not known for the account counts against
  the address, whatever the account: after ``FREE_FAILURES`` failures the address waits
  ``BASE_DELAY_S``, doubling with each further failure up to ``MAX_DELAY_S``. One address
  cannot spray passwords over many accounts, and cannot lock anyone else out.
- **Accounts.** When ``ACCOUNT_FREE_ADDRESSES`` different addresses have failed against one
  account, addresses new to that account wait too (the same doubling, one step per further
  address). A guesser spread over many addresses gets about one try per back-off for the
  whole account; the owner, from an address they signed in from before, is not refused.
- A counter quiet for ``FORGET_AFTER_S`` starts again from zero.

The check is a reservation: an attempt that may go ahead is counted as a failure *before*
the password is verified (compare-and-set on the counter's row), and a successful sign-in
takes it back. So a burst of concurrent guesses gets one attempt per back-off, not one per
request. A refused attempt costs no password hash and is not counted; it is answered 429
``REQUEST_LIMIT_EXCEEDED`` with ``Retry-After`` (MLflow's client waits and retries a 429).

Addresses are the client's IP as uvicorn reports it: behind a proxy, the proxy must send
``X-Forwarded-For`` and be one of uvicorn's ``FORWARDED_ALLOW_IPS`` (default ``127.0.0.1,::1``),
or every client counts as the proxy's one address. IPv6 clients count by their /64 network,
an IPv4-mapped address as IPv4.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from runwell.errors import ErrorCode, RunwellError
from runwell.store.sql.auth import now_ms
from runwell.store.sql.auth_throttle import Key, SqlThrottleStore, ThrottleRow

FREE_FAILURES = 5
ACCOUNT_FREE_ADDRESSES = 10
BASE_DELAY_S = 1
MAX_DELAY_S = 900
FORGET_AFTER_S = 24 * 3600
KNOWN_FOR_S = 30 * 86400
_RESERVE_TRIES = 5
_CLEANUP_ONE_IN = 32

ADDRESS, ACCOUNT, PAIR = "address", "account", "pair"


class Throttled(RunwellError):
    """Too many failed sign-ins: 429 with ``Retry-After``."""

    default_code = ErrorCode.REQUEST_LIMIT_EXCEEDED

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(f"{message}; try again in {retry_after_s} s.")
        self.retry_after_s = retry_after_s


def delay_ms(failures: int, free: int) -> int:
    """How long a counter at ``failures`` makes the next attempt wait after the last one."""
    if failures < free:
        return 0
    steps = min(failures - free, 32)  # 2**32 s is far past the cap already
    return int(min(BASE_DELAY_S * 2**steps, MAX_DELAY_S)) * 1000


def client_address(host: str | None) -> str:
    """The address a client is counted by: its IP, an IPv6 client's /64."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:256]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _key(scope: str, value: str) -> Key:
    digest = hashlib.sha256(f"{scope}\n{value}".encode("utf-8", "surrogateescape")).hexdigest()
    return (scope, digest)


@dataclass(frozen=True)
class Attempt:
    """A sign-in the throttle let through, with its reservation (see the module docstring)."""

    username: str | None
    address: str
    known: bool
    reserved_key: Key
    previous: ThrottleRow | None
    reserved: ThrottleRow
    pair: ThrottleRow | None

    @property
    def pair_key(self) -> Key | None:
        return None if self.username is None else _key(PAIR, f"{self.username}\n{self.address}")


class SignInThrottle:
    """Decides whether a sign-in may be tried, and counts how it went."""

    def __init__(self, store: SqlThrottleStore, clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.clock = clock

    def _current(self, row: ThrottleRow | None, now: int) -> int:
        if row is None or row.last_failure < now - FORGET_AFTER_S * 1000:
            return 0
        return row.failures

    def _wait_ms(self, row: ThrottleRow | None, free: int, now: int) -> int:
        failures = self._current(row, now)
        if row is None or failures < free:
            return 0
        return max(0, row.last_failure + delay_ms(failures, free) - now)

    def check(self, username: str | None, host: str | None) -> Attempt:
        """Reserve an attempt by ``username`` (None: not a valid name) from ``host``, or
        raise Throttled."""
        address = client_address(host)
        pair_key = None if username is None else _key(PAIR, f"{username}\n{address}")
        account_key = None if username is None else _key(ACCOUNT, username)
        address_key = _key(ADDRESS, address)
        keys = [k for k in (address_key, account_key, pair_key) if k is not None]
        for _ in range(_RESERVE_TRIES):
            now = self.clock()
            rows = self.store.rows(keys)
            pair = None if pair_key is None else rows.get(pair_key)
            known = (
                pair is not None
                and pair.last_success is not None
                and pair.last_success >= now - KNOWN_FOR_S * 1000
            )
            if known:
                assert pair_key is not None
                target = pair_key
                wait = self._wait_ms(pair, FREE_FAILURES, now)
                what = "Too many failed sign-ins for this account from your address"
            else:
                target = address_key
                wait = self._wait_ms(rows.get(address_key), FREE_FAILURES, now)
                what = "Too many failed sign-ins from your address"
                if account_key is not None:
                    account_wait = self._wait_ms(rows.get(account_key), ACCOUNT_FREE_ADDRESSES, now)
                    if account_wait > wait:
                        wait = account_wait
                        what = (
                            "Too many failed sign-ins for this account from other addresses "
                            "(an address you signed in from before is not held back)"
                        )
            if wait > 0:
                raise Throttled(what, math.ceil(wait / 1000))
            previous = rows.get(target)
            failures = self._current(previous, now) + 1
            expires = now + FORGET_AFTER_S * 1000
            if self.store.reserve(target, previous, failures, now, expires):
                success = None if previous is None else previous.last_success
                reserved = ThrottleRow(failures, now, success)
                return Attempt(username, address, known, target, previous, reserved, pair)
        raise Throttled("Too many sign-ins at once from your address", 1)

    def failed(self, attempt: Attempt) -> None:
        """The password was wrong: the reservation stays; an address new to the account also
        counts on the pair and, for a pair's first failure, on the account."""
        now = self.clock()
        forget = FORGET_AFTER_S * 1000
        pair_key = attempt.pair_key
        if not attempt.known and attempt.username is not None and pair_key is not None:
            after = self.store.add_failures([(pair_key, 1)], now, forget)[pair_key]
            account_key = _key(ACCOUNT, attempt.username)
            self.store.add_failures([(account_key, 1 if after == 1 else 0)], now, forget)
        if random.randrange(_CLEANUP_ONE_IN) == 0:  # not a secret: spreads the clean-up
            self.store.forget_expired(now)

    def succeeded(self, attempt: Attempt) -> None:
        """The password was right: take the reservation back, make the pair known."""
        now = self.clock()
        pair_key = attempt.pair_key
        if pair_key is None:
            return
        if not attempt.known:
            self.store.release(attempt.reserved_key, attempt.reserved, attempt.previous)
        # A known pair's reservation was on the pair itself: this clears it too.
        self.store.mark_success(pair_key, now, KNOWN_FOR_S * 1000)
