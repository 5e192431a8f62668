"""UI JSON endpoints for charts: downsampled histories of several runs (one key, or several
keys streamed in one answer), and the full history of one as CSV.

``metrics/sampled`` asks the store for each run's history of one key reduced to per-bucket
minima and maxima (store/sql/history_sampling.py), so a million-point metric arrives as about
two thousand points; ``start``/``end`` narrow the x range (a zoomed chart asks again for
detail). ``metrics/sampled-batch`` answers the same for several keys as NDJSON, one line per
key in the order asked, each written as soon as it is computed: a page of charts makes one
request and draws each chart as its line arrives. One request computed in order is also
several times faster than the same work as concurrent requests, whose threads contend for
the GIL. ``metrics/csv`` streams every point, page by page, as the download link behind it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runwell.errors import InvalidArgument
from runwell.server.responses import encode, json_response
from runwell.server.ui import queries
from runwell.store.gc_pause import paused_gc
from runwell.store.overview import TrackingOverview, XAxis
from runwell.store.protocols import TrackingStore

router = APIRouter(include_in_schema=False)

MAX_RUNS = 100
MAX_KEYS = 100
DEFAULT_BUCKETS = 1000
CSV_PAGE = 100_000
NDJSON = "application/x-ndjson"


def _x_axis(request: Request) -> XAxis:
    raw = queries.text(request, "x", "step")
    if raw == "step":
        return "step"
    if raw in ("time", "relative"):
        return "time"
    raise InvalidArgument(f"Invalid x axis '{raw}': expected step, time or relative.")


@dataclass(frozen=True, slots=True)
class _Ask:
    """What a sampled request asks for, checked."""

    store: TrackingOverview
    run_ids: list[str]
    buckets: int
    axis: XAxis
    start: int | None
    end: int | None

    @classmethod
    def of(cls, request: Request) -> _Ask:
        run_ids = queries.many(request, "run_ids")
        if not run_ids:
            raise InvalidArgument("Missing value for required parameter 'run_ids'.")
        if len(run_ids) > MAX_RUNS:
            raise InvalidArgument(f"At most {MAX_RUNS} runs per chart, got {len(run_ids)}.")
        buckets = queries.integer(request, "buckets", DEFAULT_BUCKETS, 1, 10_000)
        assert buckets is not None
        return cls(
            store=queries.overview(request),
            run_ids=run_ids,
            buckets=buckets,
            axis=_x_axis(request),
            start=queries.integer(request, "start", None),
            end=queries.integer(request, "end", None),
        )

    def chart(self, key: str) -> bytes:
        """The answer for one key: each run's sampled history."""
        series: list[dict[str, Any]] = []
        with paused_gc():
            for run_id in self.run_ids:
                sampled = self.store.sample_metric_history(
                    run_id,
                    key,
                    buckets=self.buckets,
                    x_axis=self.axis,
                    start=self.start,
                    end=self.end,
                )
                series.append(
                    {
                        "run_id": run_id,
                        "total": sampled.total,
                        "non_finite": sampled.non_finite,
                        "sampled": sampled.sampled,
                        "steps": sampled.steps,
                        "timestamps": sampled.timestamps,
                        "values": sampled.values,
                    }
                )
            return encode({"key": key, "x": self.axis, "buckets": self.buckets, "series": series})


def _sampled(request: Request) -> bytes:
    return _Ask.of(request).chart(queries.required(request, "key"))


@router.get("/metrics/sampled")
async def sampled_histories(request: Request) -> Response:
    """One key's history for each of up to 100 runs, downsampled per x bucket."""
    return json_response(await run_in_threadpool(_sampled, request))


def _first_line(request: Request) -> tuple[_Ask, list[str], bytes]:
    ask = _Ask.of(request)
    keys = queries.many(request, "keys")
    if not keys:
        raise InvalidArgument("Missing value for required parameter 'keys'.")
    if len(keys) > MAX_KEYS:
        raise InvalidArgument(f"At most {MAX_KEYS} keys per request, got {len(keys)}.")
    return ask, keys, ask.chart(keys[0]) + b"\n"


@router.get("/metrics/sampled-batch")
async def sampled_batch(request: Request) -> Response:
    """Several keys' histories of up to 100 runs: NDJSON, a ``metrics/sampled`` answer a line.

    The first line is computed before the answer starts, so a bad argument or an unknown run
    gets its error status and message rather than a cut stream.
    """
    ask, keys, first = await run_in_threadpool(_first_line, request)

    def lines() -> Iterator[bytes]:
        yield first
        for key in keys[1:]:
            yield ask.chart(key) + b"\n"

    return StreamingResponse(lines(), media_type=NDJSON, headers={"Cache-Control": "no-store"})


def _csv_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _csv_rows(store: TrackingStore, run_id: str, key: str) -> Iterator[bytes]:
    yield b"run_id,key,step,timestamp,value\n"
    token: str | None = None
    quoted = '"' + key.replace('"', '""') + '"'
    while True:
        page = store.get_metric_history(run_id, key, max_results=CSV_PAGE, page_token=token)
        yield "".join(
            f"{run_id},{quoted},{m.step},{m.timestamp},{_csv_value(m.value)}\n" for m in page.items
        ).encode()
        token = page.token
        if not token:
            return


@router.get("/metrics/csv")
def history_csv(request: Request) -> Response:
    """Every point of one metric of one run, as a CSV attachment."""
    run_id = queries.required(request, "run_id")
    key = queries.required(request, "key")
    store = queries.tracking(request)
    store.get_run(run_id)  # 404 before the download starts
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in key)[:80] or "metric"
    return StreamingResponse(
        _csv_rows(store, run_id, key),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{run_id[:8]}-{safe}.csv"'},
    )
