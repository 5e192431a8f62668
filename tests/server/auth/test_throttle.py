"""The sign-in throttle (issue 19, 8): back-off per address and per (account, address), and
per account only for addresses new to it; counts in the database, shared by every process.

The first tests drive ``SignInThrottle`` on each database with a clock the test moves (no
sleeping through back-offs); two throttles on one database stand for two workers. The live
tests hammer a real server: one with ``--workers 2``, an attacker on 127.0.0.2 and the real
admin on 127.0.0.3 (clients bound to their own loopback source address; the server trusts
``X-Forwarded-For`` from 127.0.0.1 and ::1 only, so the attacker's forged one changes nothing).
"""

from __future__ import annotations

import base64
import socket
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest

from runwell.server.auth.throttle import (
    ACCOUNT_FREE_ADDRESSES,
    FREE_FAILURES,
    MAX_DELAY_S,
    SignInThrottle,
    Throttled,
    client_address,
    delay_ms,
)
from runwell.store.sql.auth import SqlAuthStore
from runwell.store.sql.tracking import SqlTrackingStore
from tests.scaleout import procfs
from tests.scaleout.cluster import multi_worker_server
from tests.server.auth.conftest import ADMIN, Secured

SEARCH = "/api/2.0/mlflow/experiments/search?max_results=1"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


def _fail(throttle: SignInThrottle, user: str | None, host: str) -> None:
    throttle.failed(throttle.check(user, host))


def _held_for(throttle: SignInThrottle, user: str | None, host: str) -> int:
    with pytest.raises(Throttled) as held:
        throttle.check(user, host)
    assert held.value.http_status == 429
    return held.value.retry_after_s


@pytest.fixture
def throttles(db_url: str) -> tuple[SignInThrottle, SignInThrottle, Clock]:
    """Two throttles (two workers) on one database, on the same clock."""
    SqlTrackingStore(db_url, "file:///unused")
    clock = Clock()
    first = SignInThrottle(SqlAuthStore(db_url).throttle, clock)
    second = SignInThrottle(SqlAuthStore(db_url).throttle, clock)
    return first, second, clock


def test_back_off_doubles_per_failure_up_to_the_cap() -> None:
    assert [delay_ms(n, 5) for n in range(5)] == [0] * 5
    assert [delay_ms(n, 5) // 1000 for n in range(5, 11)] == [1, 2, 4, 8, 16, 32]
    assert delay_ms(10_000, 5) == MAX_DELAY_S * 1000
    assert client_address("2001:db8:1:2:aaaa::1") == client_address("2001:db8:1:2:ffff::9")
    assert client_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert client_address("::ffff:10.1.2.3") == "10.1.2.3"
    assert client_address(None) == "unknown"


def test_an_address_backs_off_across_workers_and_its_owner_elsewhere_is_not_held(
    throttles: tuple[SignInThrottle, SignInThrottle, Clock],
) -> None:
    one, two, clock = throttles
    attacker, owner = "203.0.113.7", "198.51.100.20"
    for n in range(FREE_FAILURES):
        _fail(one if n % 2 else two, "admin", attacker)  # the workers take turns
    waits = []
    for _ in range(4):
        waits.append(_held_for(one, "admin", attacker))
        assert _held_for(two, "admin", attacker) == waits[-1]
        assert _held_for(two, "someone-else", attacker) == waits[-1]  # no spraying
        clock.advance(waits[-1])
        _fail(two, "admin", attacker)
    assert waits == [1, 2, 4, 8]
    # The real admin, from an address of their own, is never held back.
    one.succeeded(one.check("admin", owner))
    two.succeeded(two.check("admin", owner))


def test_a_burst_of_concurrent_guesses_gets_one_attempt_per_back_off(
    throttles: tuple[SignInThrottle, SignInThrottle, Clock],
) -> None:
    one, two, _clock = throttles
    for _ in range(FREE_FAILURES):
        _fail(one, "admin", "203.0.113.8")
    passed: list[int] = []
    held: list[int] = []
    clock_now = _clock.now
    _clock.now = clock_now + 1000  # the 1 s back-off is over: exactly one may go
    barrier = threading.Barrier(8)

    def guess(index: int) -> None:
        throttle = one if index % 2 else two
        barrier.wait()
        try:
            attempt = throttle.check("admin", "203.0.113.8")
        except Throttled:
            held.append(index)
            return
        passed.append(index)
        throttle.failed(attempt)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 1, (passed, held)
    assert len(held) == 7


def test_many_addresses_hold_an_account_back_only_for_addresses_new_to_it(
    throttles: tuple[SignInThrottle, SignInThrottle, Clock],
) -> None:
    one, two, _clock = throttles
    home = "198.51.100.1"
    one.succeeded(one.check("admin", home))  # the owner signed in from home once
    for n in range(ACCOUNT_FREE_ADDRESSES):
        _fail(two, "admin", f"203.0.113.{n + 10}")
    assert _held_for(one, "admin", "192.0.2.99") == 1  # a new address waits...
    one.succeeded(one.check("admin", home))  # ...home does not
    one.succeeded(one.check("bob", "192.0.2.99"))  # nor another account from the new address
    # A known pair still has its own back-off: a guesser at the owner's own address.
    for _ in range(FREE_FAILURES):
        _fail(one, "admin", home)
    assert _held_for(two, "admin", home) == 1


def test_a_right_password_takes_its_reservation_back(
    throttles: tuple[SignInThrottle, SignInThrottle, Clock],
) -> None:
    one, two, _clock = throttles
    for _ in range(FREE_FAILURES - 1):
        _fail(one, "carol", "192.0.2.50")
    for _ in range(20):  # a client signing in again and again from an address
        two.succeeded(two.check("dave", "192.0.2.50"))
    _fail(one, "carol", "192.0.2.50")  # the fifth failure, not the twenty-fifth attempt
    assert _held_for(one, "erin", "192.0.2.50") == 1


# ---------------------------------------------------------------- live servers


def _bound(address: str, base_url: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, transport=transport, timeout=60)


def test_a_botnet_holds_an_account_for_new_addresses_not_where_its_owner_signed_in(
    secured: Secured,
) -> None:
    authenticator = secured.service.authenticator
    with _bound("127.0.0.3", secured.url) as home:
        assert home.get(SEARCH, auth=ADMIN).status_code == 200
        for n in range(ACCOUNT_FREE_ADDRESSES):
            with _bound(f"127.0.1.{n + 1}", secured.url) as bot:
                assert bot.get(SEARCH, auth=(ADMIN[0], "wrong-password-1")).status_code == 401
        authenticator.forget()  # no sign-in remembered: each password below is checked
        with _bound("127.0.2.1", secured.url) as new:
            held = new.get(SEARCH, auth=ADMIN)  # the right password, from a new address
            assert held.status_code == 429, held.text
            assert held.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
            assert held.headers["retry-after"] == "1"
        authenticator.forget()
        assert home.get(SEARCH, auth=ADMIN).status_code == 200


def _raw_sign_in(port: int, source: str, workers: list[int], forged: str) -> tuple[int, int, int]:
    """(worker pid, status, Retry-After or 0) of one wrong-password request from ``source``
    on a new connection; the worker is found as procfs.probe_worker finds it."""
    credential = base64.b64encode(f"{ADMIN[0]}:not-the-password".encode()).decode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=60, source_address=(source, 0))
    with sock:
        head = (
            f"GET {SEARCH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Authorization: Basic {credential}\r\nX-Forwarded-For: {forged}\r\n"
        )
        sock.sendall(head.encode())
        client_port = sock.getsockname()[1]
        owner = 0
        deadline = time.monotonic() + 10
        while not owner and time.monotonic() < deadline:
            for entry in procfs.tcp_sockets():
                if entry.local_port == port and entry.remote_port == client_port and entry.inode:
                    owner = next((p for p in workers if entry.inode in procfs.socket_inodes(p)), 0)
            if not owner:
                time.sleep(0.002)
        sock.sendall(b"\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks).decode("latin-1")
    status = int(answer.split(" ", 2)[1])
    retry = 0
    for line in answer.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "retry-after":
            retry = int(value.strip())
    return owner, status, retry


@pytest.mark.slow
def test_two_workers_hold_an_attacker_back_while_the_admin_signs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNWELL_AUTH_ADMIN_USERNAME", ADMIN[0])
    monkeypatch.setenv("RUNWELL_AUTH_ADMIN_PASSWORD", ADMIN[1])
    db_url = f"sqlite:///{tmp_path / 'server.db'}"
    with multi_worker_server(tmp_path, 2, db_url, str(tmp_path / "art"), "--auth") as server:
        stop = threading.Event()
        latencies: list[float] = []
        statuses: list[int] = []

        def admin_signs_in() -> None:
            with _bound("127.0.0.3", server.url) as client:
                while not stop.is_set():
                    client.cookies.clear()  # a new browser each time: no session, no CSRF
                    started = time.perf_counter()
                    done = client.post(
                        "/login",
                        data={"username": ADMIN[0], "password": ADMIN[1]},
                        headers={"Connection": "close"},
                    )
                    latencies.append(time.perf_counter() - started)
                    statuses.append(done.status_code)
                    time.sleep(0.2)

        legit = threading.Thread(target=admin_signs_in)
        legit.start()
        attempts: list[tuple[int, int, int]] = []
        try:
            windows = 0
            while windows < 4:
                forged = f"10.9.{len(attempts) // 250}.{len(attempts) % 250 + 1}"
                attempts.append(_raw_sign_in(server.port, "127.0.0.2", server.worker_pids, forged))
                _pid, status, retry = attempts[-1]
                if status == 429:
                    for _ in range(3):  # hammering while held back: refused, not counted
                        attempts.append(
                            _raw_sign_in(server.port, "127.0.0.2", server.worker_pids, forged)
                        )
                        assert attempts[-1][1] == 429
                    windows += 1
                    if windows < 4:
                        time.sleep(retry)
            # Still held back (8 s): until both workers have answered, each refuses.
            served = {pid for pid, _status, _retry in attempts}
            for _ in range(200):
                if len(served) == 2:
                    break
                attempts.append(_raw_sign_in(server.port, "127.0.0.2", server.worker_pids, "x"))
                assert attempts[-1][1] == 429
                served.add(attempts[-1][0])
        finally:
            stop.set()
            legit.join()
    codes = [status for _pid, status, _retry in attempts]
    assert codes[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert codes[FREE_FAILURES] == 429
    # Each wait the attacker sat out bought one more guess and a doubled wait.
    first_waits = [
        retry
        for index, (_pid, status, retry) in enumerate(attempts)
        if status == 429 and attempts[index - 1][1] == 401
    ]
    assert first_waits == [1, 2, 4, 8]
    assert codes.count(401) == FREE_FAILURES + 3
    assert not [c for c in codes if c >= 500]
    assert statuses and set(statuses) == {303}, statuses
    report = {
        "hostile": len(attempts),
        "workers_hit": len(served),
        "legit": len(statuses),
        "legit_p50_ms": round(statistics.median(latencies) * 1000),
        "legit_max_ms": round(max(latencies) * 1000),
        "legit_p99_ms": round(sorted(latencies)[int(0.99 * (len(latencies) - 1))] * 1000),
    }
    print("throttle figures:", report)
    assert served == set(server.worker_pids)
