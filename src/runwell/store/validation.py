"""MLflow's validation rules and limits, applied by every store before anything is written.

The figures and messages follow reference/mlflow-limits-and-validation.md so that runwell and
MLflow reject the same inputs with the same error code.
"""

from __future__ import annotations

import functools
import math
import posixpath
import re
from collections.abc import Sequence

from runwell.entities import Dataset, InputTag, Metric, Param, RunTag
from runwell.errors import InvalidArgument

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_ARTIFACT_LOCATION_LENGTH = 2048
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_DATASETS_PER_BATCH = 1000
MAX_RUNS_SEARCH_RESULTS = 50000
MAX_EXPERIMENTS_SEARCH_RESULTS = 50000
MAX_DATASET_LENGTHS = {
    "name": 500,
    "digest": 36,
    "source": 65535,
    "schema": 1048575,
    "profile": 16777215,
}
MAX_INPUT_TAG_KEY_LENGTH = 255
MAX_INPUT_TAG_VALUE_LENGTH = 500
MAX_DOUBLE = 1.7976931348623157e308

_KEY_CHARS = re.compile(r"^[/\w.\- :]*$")
_RUN_ID = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
_INT64_MAX = INT64_MAX


def _bad(message: str) -> InvalidArgument:
    return InvalidArgument(message)


@functools.lru_cache(maxsize=4096)
def valid_key(value: str) -> bool:
    """Whether a non-empty key passes the key rules (cached: keys repeat in training loops)."""
    if not value or not _KEY_CHARS.match(value) or len(value) > MAX_KEY_LENGTH:
        return False
    normal = posixpath.normpath(value)
    return not (normal != value or normal == "." or normal.startswith(("..", "/")))


def key(value: object, what: str) -> str:
    """Check a metric/param/tag key: characters, path-normal form and length."""
    if isinstance(value, str) and value and valid_key(value):
        return value
    if not isinstance(value, str) or value == "":
        raise _bad(f"Missing value for required parameter '{what}'.")
    if not _KEY_CHARS.match(value):
        raise _bad(
            f"Invalid {what} '{value}': names may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colon(:) and slashes (/)."
        )
    normal = posixpath.normpath(value)
    if normal != value or normal == "." or normal.startswith(("..", "/")):
        raise _bad(
            f"Invalid {what} '{value}': names may be treated as files in certain cases, and "
            "must not resolve to other names when treated as such. This name would resolve "
            f"to '{normal}'."
        )
    if len(value) > MAX_KEY_LENGTH:
        raise _bad(f"'{what}' exceeds the maximum length of {MAX_KEY_LENGTH} characters.")
    return value


def param_value(value: object, param_key: str) -> str:
    """Params are strings of at most 6000 characters; longer values are truncated as MLflow does."""
    text = "" if value is None else str(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        text = text[:MAX_PARAM_VALUE_LENGTH]
    return text


def tag_value(value: object, tag_key: str) -> str:
    """Run tags are strings of at most 8000 characters; longer values are truncated."""
    text = "" if value is None else str(value)
    if len(text) > MAX_TAG_VALUE_LENGTH:
        text = text[:MAX_TAG_VALUE_LENGTH]
    return text


def run_tags(tags: Sequence[RunTag]) -> list[RunTag]:
    """``tags`` with checked keys and values as they are stored (see ``key``, ``tag_value``)."""
    return [RunTag(key=key(t.key, "key"), value=tag_value(t.value, t.key)) for t in tags]


def experiment_tag(tag_key: object, value: object) -> tuple[str, str]:
    """Experiment tags: key rules, values up to 20000 characters (not truncated)."""
    checked = key(tag_key, "key")
    text = "" if value is None else str(value)
    if len(text) > MAX_EXPERIMENT_TAG_VALUE_LENGTH:
        raise _bad(
            f"'value' exceeds the maximum length of {MAX_EXPERIMENT_TAG_VALUE_LENGTH} characters."
        )
    return checked, text


def metric_value(value: object, metric_key: str) -> float:
    """A double; numeric strings and NaN/Infinity spellings are accepted, bools are not."""
    if type(value) is float:
        return value
    if isinstance(value, bool):
        raise _bad(f"Invalid value {value!r} for metric '{metric_key}': expected a number.")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    try:
        return float(value)  # type: ignore[arg-type]  # numpy scalars and friends
    except (TypeError, ValueError):
        raise _bad(
            f"Invalid value \"{value}\" for parameter 'value' supplied (metric '{metric_key}'): "
            "expected a number."
        ) from None


def int64(value: object, what: str, *, minimum: int | None = None) -> int:
    """An int64 (ints, integral floats and numeric strings accepted)."""
    if isinstance(value, bool):
        raise _bad(f"Invalid value {value!r} for parameter '{what}': expected an integer.")
    try:
        number = int(value) if not isinstance(value, str) else int(float(value))  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        raise _bad(
            f"Invalid value {value!r} for parameter '{what}': expected an integer."
        ) from None
    if not -_INT64_MAX - 1 <= number <= _INT64_MAX:
        raise _bad(f"Value {value!r} for parameter '{what}' does not fit a 64-bit integer.")
    if minimum is not None and number < minimum:
        if what == "timestamp":
            raise _bad(f"Timestamp must be a nonnegative long (64-bit integer), got {value!r}.")
        raise _bad(f"Invalid value {value!r} for parameter '{what}': must be >= {minimum}.")
    return number


def metric(m: Metric) -> Metric:
    """Check one metric; returns it unchanged when it is valid."""
    key(m.key, "key")
    if type(m.value) is not float and type(m.value) is not int:
        raise _bad(f"Invalid value {m.value!r} for metric '{m.key}': expected a number.")
    timestamp, step = m.timestamp, m.step
    if type(timestamp) is not int or not 0 <= timestamp <= _INT64_MAX:
        int64(timestamp, "timestamp", minimum=0)
    if type(step) is not int or not -_INT64_MAX - 1 <= step <= _INT64_MAX:
        int64(step, "step")
    return m


def batch_sizes(metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]) -> None:
    """MLflow's per-request batch limits."""
    for items, limit, noun in (
        (metrics, MAX_METRICS_PER_BATCH, "metrics"),
        (params, MAX_PARAMS_PER_BATCH, "params"),
        (tags, MAX_TAGS_PER_BATCH, "tags"),
    ):
        if len(items) > limit:
            raise _bad(
                f"A batch logging request can contain at most {limit} {noun}. Got {len(items)} "
                f"{noun}. Please split up {noun} across multiple requests and try again."
            )
    total = len(metrics) + len(params) + len(tags)
    if total > MAX_ENTITIES_PER_BATCH:
        raise _bad(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} "
            f"metrics, params and tags in total. Got {total}. Please split up the batch "
            "across multiple requests and try again."
        )


def unique_param_keys(params: Sequence[Param]) -> None:
    seen: set[str] = set()
    duplicates: list[str] = []
    for p in params:
        if p.key in seen and p.key not in duplicates:
            duplicates.append(p.key)
        seen.add(p.key)
    if duplicates:
        raise _bad(
            f"Duplicate parameter keys have been submitted: {duplicates}. Please ensure the "
            "request contains only one param value per param key."
        )


def run_id(value: object) -> str:
    """Run ids are 1 to 256 word characters or dashes, starting with a letter or digit."""
    if not isinstance(value, str) or value == "":
        raise _bad("Missing value for required parameter 'run_id'.")
    if not _RUN_ID.match(value):
        raise _bad(f"Invalid run ID: '{value}'.")
    return value


def experiment_id(value: object) -> str:
    """SQL stores number experiments; anything not integer-like is rejected."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or text == "":
        raise _bad("Missing value for required parameter 'experiment_id'.")
    if not text.lstrip("-").isdigit():
        raise _bad(f"Invalid experiment ID '{text}'. Experiment ID must be a valid integer.")
    return str(int(text))


def experiment_name(value: object) -> str:
    if not isinstance(value, str) or value.strip() == "":
        raise _bad("Invalid experiment name: expected a non-empty string for parameter 'name'.")
    if len(value) > MAX_EXPERIMENT_NAME_LENGTH:
        raise _bad(f"'name' exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} characters.")
    return value


def artifact_location(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_ARTIFACT_LOCATION_LENGTH:
        raise _bad(
            f"'artifact_location' exceeds the maximum length of "
            f"{MAX_ARTIFACT_LOCATION_LENGTH} characters."
        )
    if value.startswith("runs:"):
        raise _bad("Artifact location cannot be a runs:/ URI.")
    if "#" in value or ";" in value.split("?", 1)[0].rsplit("/", 1)[-1]:
        raise _bad(
            f"Invalid artifact_location '{value}': fragments and ';' params are not allowed."
        )
    return value


def max_results(value: int | None, limit: int, default: int) -> int:
    if value is None:
        return default
    number = int64(value, "max_results")
    if number < 1 or number > limit:
        raise _bad(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be at least 1 "
            f"and at most {limit}."
        )
    return number


def dataset(d: Dataset) -> None:
    for field in ("name", "digest", "source_type", "source"):
        if not getattr(d, field):
            raise _bad(f"Missing value for required parameter 'dataset.{field}'.")
    for field, limit in MAX_DATASET_LENGTHS.items():
        text = getattr(d, field)
        if text is not None and len(text) > limit:
            raise _bad(f"'{field}' exceeds the maximum length of {limit} characters.")


def input_tag(t: InputTag) -> None:
    if not t.key:
        raise _bad("Missing value for required parameter 'tags.key' of a dataset input.")
    if len(t.key) > MAX_INPUT_TAG_KEY_LENGTH:
        raise _bad(f"'key' exceeds the maximum length of {MAX_INPUT_TAG_KEY_LENGTH} characters.")
    if len(t.value) > MAX_INPUT_TAG_VALUE_LENGTH:
        raise _bad(
            f"'value' exceeds the maximum length of {MAX_INPUT_TAG_VALUE_LENGTH} characters."
        )


def clamp_infinite(value: float) -> float:
    """SQL backends cannot hold ±inf in every dialect; the SQL stores keep a flag instead."""
    if math.isinf(value):
        return MAX_DOUBLE if value > 0 else -MAX_DOUBLE
    return value
