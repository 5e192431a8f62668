"""The journal file: records in order, checksums, damage reported, the writer lock, kills."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from runwell.entities import Metric, Param, RunTag
from runwell.errors import InvalidArgument, InvalidState
from runwell.store.journal.format import Kind, checked_batch, json_body, unpack_batch
from runwell.store.journal.journal import Journal, JournalDamaged

META = {"kind": "offline", "run_id": "a" * 32, "tracking_uri": "http://127.0.0.1:1"}


def _points(start: int, count: int, key: str = "loss") -> list[Metric]:
    return [
        Metric(key=key, value=i / 7, timestamp=1_000 + i, step=i)
        for i in range(start, start + count)
    ]


def _journal_with_batches(directory: Path, batches: int, size: int) -> Journal:
    journal = Journal.create(directory, META)
    journal.append(Kind.RUN, json_body({"experiment_id": "0", "user_id": "u"}), 1)
    for b in range(batches):
        journal.append(Kind.BATCH, checked_batch(_points(b * size, size), (), ()), size)
    return journal


def test_records_come_back_in_order_with_what_was_logged(tmp_path: Path) -> None:
    journal = Journal.create(tmp_path / "j", META)
    special = [
        Metric(key="a", value=math.nan, timestamp=5, step=-3),
        Metric(key="b", value=math.inf, timestamp=6, step=2**63 - 1),
        Metric(key="a", value=-math.inf, timestamp=0, step=0),
    ]
    body = checked_batch(special, [Param(key="lr", value="0.1")], [RunTag(key="t", value="é")])
    assert journal.append(Kind.RUN, json_body({"experiment_name": "x"}), 1) == 1
    assert journal.append(Kind.BATCH, body, 5) == 2
    assert journal.append(Kind.STATUS, json_body({"status": "FINISHED"}), 1) == 3
    journal.close()

    reader = Journal.open(tmp_path / "j")
    records = list(reader.records())
    assert [(r.seq, r.kind) for r in records] == [(1, Kind.RUN), (2, Kind.BATCH), (3, Kind.STATUS)]
    batch = unpack_batch(records[1].body)
    assert batch.params == [Param(key="lr", value="0.1")]
    assert batch.tags == [RunTag(key="t", value="é")]
    back = batch.metrics()
    assert [(m.key, m.timestamp, m.step) for m in back] == [
        (m.key, m.timestamp, m.step) for m in special
    ]
    assert math.isnan(back[0].value) and back[1].value == math.inf and back[2].value == -math.inf
    assert [r.seq for r in reader.records(after=2)] == [3]
    assert reader.sizes() == (3, 7)


def test_bad_points_are_refused_with_the_stores_messages(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="Timestamp must be a nonnegative"):
        checked_batch([Metric(key="m", value=1.0, timestamp=-1, step=0)], (), ())
    with pytest.raises(InvalidArgument, match="expected a number"):
        checked_batch([Metric(key="m", value=True, timestamp=1, step=0)], (), ())
    with pytest.raises(InvalidArgument, match=r"Invalid key '\.\./up'"):
        checked_batch([Metric(key="../up", value=1.0, timestamp=1, step=0)], (), ())
    with pytest.raises(InvalidArgument, match="fit a 64-bit"):
        checked_batch([Metric(key="m", value=1.0, timestamp=1, step=2**63)], (), ())


def test_a_record_that_fails_its_checksum_stops_the_reading_after_the_ones_before(
    tmp_path: Path,
) -> None:
    _journal_with_batches(tmp_path / "j", batches=5, size=10).close()
    with sqlite3.connect(tmp_path / "j" / "journal.db") as conn:
        body = conn.execute("SELECT body FROM records WHERE seq = 4").fetchone()[0]
        flipped = body[:-1] + bytes([body[-1] ^ 0xFF])
        conn.execute("UPDATE records SET body = ? WHERE seq = 4", (flipped,))
    reader = Journal.open(tmp_path / "j")
    seen: list[int] = []
    with pytest.raises(JournalDamaged, match="record 4 fails its checksum") as raised:
        seen.extend(r.seq for r in reader.records())
    assert seen == [1, 2, 3]
    assert raised.value.readable == 3


def test_a_missing_tail_is_reported_with_the_records_it_lost(tmp_path: Path) -> None:
    _journal_with_batches(tmp_path / "j", batches=5, size=10).close()
    with sqlite3.connect(tmp_path / "j" / "journal.db") as conn:
        conn.execute("DELETE FROM records WHERE seq > 4")
    seen: list[int] = []
    with pytest.raises(JournalDamaged, match="records 5 to 6 are missing") as raised:
        seen.extend(r.seq for r in Journal.open(tmp_path / "j").records())
    assert seen == [1, 2, 3, 4]
    assert raised.value.readable == 4


def test_a_truncated_file_is_read_up_to_the_damage_and_the_rest_reported(tmp_path: Path) -> None:
    _journal_with_batches(tmp_path / "j", batches=40, size=1000).close()
    path = tmp_path / "j" / "journal.db"
    with sqlite3.connect(path) as conn:  # fold the write-ahead log into the file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.truncate(size * 2 // 3)
    seen: list[int] = []
    with pytest.raises(JournalDamaged) as raised:
        seen.extend(r.seq for r in Journal.open(tmp_path / "j").records())
    assert 0 < len(seen) < 41
    assert seen == list(range(1, len(seen) + 1))
    assert raised.value.readable == len(seen)


def test_the_writer_lock_tells_a_live_writer_from_a_finished_one(tmp_path: Path) -> None:
    writer = Journal.create(tmp_path / "j", META)
    reader = Journal.open(tmp_path / "j")
    assert reader.writer_alive()
    with pytest.raises(InvalidState, match="open for writing in another process"):
        Journal.open(tmp_path / "j", write=True)
    with pytest.raises(InvalidState, match="already exists"):
        Journal.create(tmp_path / "j", META)
    writer.close()
    assert not reader.writer_alive()
    with pytest.raises(InvalidState, match="not open for writing"):
        reader.append(Kind.STATUS, b"{}", 1)
    with pytest.raises(InvalidState, match="No journal"):
        Journal.open(tmp_path / "elsewhere")


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from runwell.entities import Metric
    from runwell.store.journal.format import Kind, checked_batch, json_body
    from runwell.store.journal.journal import Journal

    journal = Journal.create(Path(sys.argv[1]), {"kind": "offline", "run_id": "b" * 32})
    journal.append(Kind.RUN, json_body({"experiment_id": "0"}), 1)
    step = 0
    while True:
        points = [
            Metric(key="m", value=float(i), timestamp=i, step=i) for i in range(step, step + 500)
        ]
        seq = journal.append(Kind.BATCH, checked_batch(points, (), ()), 500)
        step += 500
        print(seq, flush=True)
    """
)


def test_a_writer_killed_mid_write_leaves_every_acknowledged_record_intact(
    tmp_path: Path,
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(tmp_path / "j")],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    acknowledged = 0
    for line in process.stdout:
        acknowledged = int(line)
        if acknowledged >= 300:
            break
    process.kill()  # SIGKILL, most likely in the middle of an append
    process.wait()
    process.stdout.close()
    reader = Journal.open(tmp_path / "j")
    assert not reader.writer_alive()
    records = list(reader.records())  # no damage: every commit is whole
    assert len(records) >= acknowledged
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    steps = [s for r in records[1:] for s in unpack_batch(r.body).steps]
    assert steps == list(range(len(steps)))
