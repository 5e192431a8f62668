"""Batch scoring of files: ``runwell models predict -m URI -i in.parquet -o out.parquet``.

Inputs stream in chunks of ``chunk_size`` rows, so a file larger than memory scores in
constant memory: CSV through pandas' chunked reader, Parquet through pyarrow's record
batches. JSON is a scoring-server body (``dataframe_split``, ``dataframe_records``,
``instances``, ``inputs``; runwell.scoring.payloads decodes it, so both accept the same
documents) read whole and predicted in row chunks; ``.jsonl`` is one record per line and
streams.

Outputs are written as each chunk is predicted: CSV rows, Parquet row groups, or the server's
answer ``{"predictions": [...]}`` for JSON. A file output is written to a temporary file
beside it and renamed at the end, so a failure (a bad column in chunk 900) leaves no partial
file behind. Without ``-i``/``-o`` the data comes from stdin / goes to stdout.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from runwell.errors import InvalidArgument, NotFound

DEFAULT_CHUNK_SIZE = 10_000
FORMATS = ("csv", "json", "jsonl", "parquet")
_EXTENSIONS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".parquet": "parquet"}
_EXTENSIONS[".pq"] = "parquet"
_CONTENT_TYPES = {
    "text/csv": "csv",
    "application/json": "json",
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/vnd.apache.parquet": "parquet",
}

# Called after each chunk with (units done, total units or None).
Progress = Callable[[int, int | None], None]


@dataclass(frozen=True)
class BatchResult:
    """What a batch prediction did."""

    rows: int
    chunks: int
    output: str


def data_format(path: str | None, content_type: str | None, role: str) -> str:
    """``csv``/``json``/``jsonl``/``parquet`` from ``--content-type`` or the file extension."""
    if content_type:
        key = content_type.split(";")[0].strip().lower()
        found = _CONTENT_TYPES.get(key) or (key if key in FORMATS else None)
        if found is None:
            raise InvalidArgument(
                f"Unsupported content type '{content_type}' for the {role}: expected one of "
                f"{', '.join(FORMATS)} or {', '.join(_CONTENT_TYPES)}."
            )
        return found
    if path is None:
        return "json"  # stdin/stdout without a type: the scoring server's default
    suffix = Path(path).suffix.lower()
    if suffix not in _EXTENSIONS:
        raise InvalidArgument(
            f"Cannot tell the format of the {role} '{path}' from its extension "
            f"'{suffix or '(none)'}': expected .csv, .json, .jsonl or .parquet "
            "(or give --content-type)."
        )
    return _EXTENSIONS[suffix]


# ------------------------------------------------------------------ reading


def _input_schema(model: Any) -> Any:
    metadata = getattr(model, "metadata", None)
    return metadata.get_input_schema() if metadata is not None else None


def _csv_chunks(
    source: IO[bytes], schema: Any, chunk_size: int, progress: Progress
) -> Generator[Any, None, None]:
    import pandas as pd

    from runwell.scoring.casting import csv_dtypes

    dtypes = csv_dtypes(schema) if schema is not None else None
    try:
        with pd.read_csv(source, chunksize=chunk_size, dtype=dtypes) as reader:
            for chunk in reader:
                yield chunk
                with contextlib.suppress(OSError, ValueError):
                    progress(source.tell(), None)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"The CSV input cannot be read: {exc}") from exc
    except (ValueError, TypeError) as exc:  # a value that does not parse as its column's type
        expected = ", ".join(f"{name}: {dtype}" for name, dtype in (dtypes or {}).items())
        raise InvalidArgument(
            f"The CSV input does not fit the model's input schema ({exc}); expected columns "
            f"{expected}."
        ) from exc


def _parquet_chunks(source: Any, chunk_size: int, progress: Progress) -> Generator[Any, None, None]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidArgument(f"The Parquet input cannot be read: {exc}") from exc
    done = 0
    for batch in parquet.iter_batches(batch_size=chunk_size):
        yield batch.to_pandas()
        done += batch.num_rows
        progress(done, None)


def _json_chunks(
    body: bytes, model: Any, chunk_size: int, progress: Progress
) -> Generator[Any, None, None]:
    import pandas as pd

    from runwell.scoring.errors import ScoringError
    from runwell.scoring.payloads import input_spec, parse_json

    try:
        parsed = parse_json(body, input_spec(_input_schema(model)))
    except ScoringError as exc:
        raise InvalidArgument(f"The JSON input is not a scoring request: {exc}") from exc
    data = parsed.data
    if not isinstance(data, pd.DataFrame):
        yield data  # tensors and dicts of tensors are predicted whole
        progress(1, None)
        return
    for start in range(0, max(len(data), 1), chunk_size):
        yield data.iloc[start : start + chunk_size]
        progress(min(start + chunk_size, len(data)), None)


def _jsonl_chunks(
    source: IO[bytes], chunk_size: int, progress: Progress
) -> Generator[Any, None, None]:
    import pandas as pd

    try:
        with pd.read_json(source, lines=True, chunksize=chunk_size) as reader:
            done = 0
            for chunk in reader:
                done += len(chunk)
                yield chunk
                progress(done, None)
    except ValueError as exc:
        raise InvalidArgument(f"The JSON Lines input cannot be read: {exc}") from exc


# ------------------------------------------------------------------ writing


def _frame(predictions: Any) -> Any:
    """Predictions as a DataFrame for tabular outputs (one ``prediction`` column for 1-D)."""
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions
    if isinstance(predictions, pd.Series):
        return predictions.to_frame(
            predictions.name if predictions.name is not None else "prediction"
        )
    if isinstance(predictions, dict):
        return pd.DataFrame({str(k): np.asarray(v).tolist() for k, v in predictions.items()})
    array = np.asarray(predictions)
    if array.ndim <= 1:
        return pd.DataFrame({"prediction": array.reshape(-1)})
    if array.ndim == 2:
        return pd.DataFrame(array, columns=[f"prediction_{i}" for i in range(array.shape[1])])
    return pd.DataFrame({"prediction": list(array.tolist())})


class _Writer:
    """Writes prediction chunks in one format to a binary stream."""

    def __init__(self, fmt: str, sink: IO[bytes]) -> None:
        self.fmt = fmt
        self.sink = sink
        self.count = 0
        self._parquet: Any = None

    def write(self, predictions: Any) -> None:
        if self.fmt == "json":
            self._write_json(predictions)
        elif self.fmt == "jsonl":
            text = _frame(predictions).to_json(orient="records", lines=True)
            self.sink.write(
                text.encode() if text.endswith("\n") or not text else f"{text}\n".encode()
            )
        elif self.fmt == "csv":
            frame = _frame(predictions)
            self.sink.write(frame.to_csv(index=False, header=self.count == 0).encode())
        else:
            self._write_parquet(_frame(predictions))
        self.count += 1

    def _write_json(self, predictions: Any) -> None:
        from runwell.scoring.responses import dumps, jsonable

        converted = jsonable(predictions)
        # Rows of a list or array are streamed one by one; anything else is one item.
        items = list(converted) if isinstance(converted, (list, tuple)) else [converted]
        if hasattr(converted, "ndim") and getattr(converted, "ndim", 0) >= 1:
            items = list(converted)
        self.sink.write(b'{"predictions": [' if self.count == 0 else b"")
        for index, item in enumerate(items):
            if self.count > 0 or index > 0:
                self.sink.write(b", ")
            self.sink.write(dumps(item))

    def _write_parquet(self, frame: Any) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.sink, table.schema)
        elif table.schema != self._parquet.schema:
            try:
                table = table.cast(self._parquet.schema)
            except (pa.ArrowInvalid, ValueError) as exc:
                raise InvalidArgument(
                    f"Chunk {self.count + 1} predicted columns {table.schema.names} of other "
                    f"types than the first chunk ({exc}); write CSV or JSON instead."
                ) from exc
        self._parquet.write_table(table)

    def close(self) -> None:
        if self.fmt == "json":
            self.sink.write(b"]}\n" if self.count else b'{"predictions": []}\n')
        elif self.fmt == "parquet":
            if self._parquet is None:
                raise InvalidArgument("The input has no rows: there is nothing to write.")
            self._parquet.close()


@contextlib.contextmanager
def _output(path: str | None) -> Iterator[IO[bytes]]:
    """A binary sink: stdout, or a temporary file renamed to ``path`` only on success."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    if target.is_dir():
        raise InvalidArgument(f"The output '{path}' is a directory; give a file name.")
    if not target.parent.is_dir():
        raise NotFound(f"The output's directory '{target.parent}' does not exist.")
    handle = tempfile.NamedTemporaryFile(
        prefix=f".{target.name}.", suffix=".partial", dir=target.parent, delete=False
    )
    try:
        with handle:
            yield handle
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


@contextlib.contextmanager
def _input(path: str | None) -> Iterator[IO[bytes]]:
    if path is None:
        yield sys.stdin.buffer
        return
    source = Path(path)
    if not source.exists():
        raise NotFound(f"The input file '{path}' does not exist.")
    if source.is_dir():
        raise InvalidArgument(f"The input '{path}' is a directory; give a file.")
    with open(source, "rb") as handle:
        yield handle


def _chunks(
    fmt: str, source: IO[bytes], model: Any, chunk_size: int, progress: Progress
) -> Generator[Any, None, None]:
    if fmt == "csv":
        return _csv_chunks(source, _input_schema(model), chunk_size, progress)
    if fmt == "parquet":
        seekable = source if source.seekable() else io.BytesIO(source.read())
        return _parquet_chunks(seekable, chunk_size, progress)
    if fmt == "jsonl":
        return _jsonl_chunks(source, chunk_size, progress)
    return _json_chunks(source.read(), model, chunk_size, progress)


def _no_progress(_done: int, _total: int | None) -> None:
    return None


def progress_total(path: str | None, fmt: str) -> tuple[int | None, str]:
    """What progress counts for this input and how many there are: (total, unit)."""
    if path is None or not Path(path).is_file():
        return None, "rows"
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(path).metadata.num_rows), "rows"
        except Exception:
            return None, "rows"
    if fmt == "csv":
        return Path(path).stat().st_size, "bytes"
    return None, "rows"


def predict_file(
    model: Any,
    input_path: str | None,
    output_path: str | None,
    *,
    content_type: str | None = None,
    output_format: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress = _no_progress,
) -> BatchResult:
    """Predict every row of ``input_path`` with the loaded pyfunc ``model``.

    Args:
        model: a loaded model (``runwell.pyfunc.load_model``).
        input_path: csv/json/jsonl/parquet file; None reads stdin.
        output_path: the file to write (same formats); None writes stdout.
        content_type: the input's format when its extension does not say (or for stdin).
        output_format: the output's format; by default from its extension (JSON on stdout).
        chunk_size: rows predicted at a time.
        progress: called after each chunk with (units done, total or None).

    Raises:
        NotFound: the input file does not exist.
        InvalidArgument: an unknown format, an unreadable input, or input the model's
            signature refuses (the message names the column); no output file is left.
    """
    if chunk_size < 1:
        raise InvalidArgument(f"chunk_size must be >= 1, got {chunk_size}.")
    in_fmt = data_format(input_path, content_type, "input")
    out_fmt = data_format(output_path, output_format, "output")
    rows = 0
    with _input(input_path) as source, _output(output_path) as sink:
        writer = _Writer(out_fmt, sink)
        # closing(): a failed predict closes the reader now, not when the generator is freed.
        with contextlib.closing(_chunks(in_fmt, source, model, chunk_size, progress)) as chunks:
            for chunk in chunks:
                writer.write(model.predict(chunk))
                rows += len(chunk) if hasattr(chunk, "__len__") else 1
        writer.close()
    return BatchResult(rows=rows, chunks=writer.count, output=output_path or "<stdout>")
