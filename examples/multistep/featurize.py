"""Step 2 of the workflow: turn the raw rentals into model features, split in time.

    runwell run examples/multistep -e featurize -P raw_data=runs:/<load_data run>/raw/rentals.csv

``raw_data`` is a ``path`` parameter: the project runner downloads a ``runs:/`` URI (or takes
a local file) and hands this script a local path. The features are the hour, the day of the
week, a weekday flag, the month, the temperature in Celsius, the humidity (missing readings
filled with the median) and one column per kind of weather. The last ``test_fraction`` of
the hours is the test set. Both sets are logged under the artifact directory ``features/``
(``train.csv``, ``test.csv``), which the train step reads by its ``runs:/`` URI.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd

import runwell

ARTIFACT_DIR = "features"
TARGET = "rentals"
WEATHER = ("clear", "cloudy", "rain", "snow")


def featurize(raw: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The feature table (target last) and how many humidity readings were filled in."""
    stamps = pd.to_datetime(raw["timestamp"])
    humidity = pd.to_numeric(raw["humidity"], errors="coerce")
    missing = int(humidity.isna().sum())
    features = pd.DataFrame(
        {
            "hour": stamps.dt.hour,
            "day_of_week": stamps.dt.dayofweek,
            "weekday": (stamps.dt.dayofweek < 5).astype(int),
            "month": stamps.dt.month,
            "temp_c": ((raw["temp_f"] - 32) * 5 / 9).round(2),
            "humidity": humidity.fillna(humidity.median()),
        }
    )
    for kind in WEATHER:
        features[f"weather_{kind}"] = (raw["weather"] == kind).astype(int)
    features[TARGET] = raw[TARGET]
    return features, missing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--raw-data", required=True, help="a local CSV file")
    parser.add_argument("--test-fraction", type=float, default=0.2)
    args = parser.parse_args(argv)
    if not 0 < args.test_fraction < 1:
        parser.error("--test-fraction must be between 0 and 1")

    features, missing = featurize(pd.read_csv(args.raw_data))
    cut = int(len(features) * (1 - args.test_fraction))
    train, test = features.iloc[:cut], features.iloc[cut:]
    with runwell.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        train.to_csv(Path(tmp, "train.csv"), index=False)
        test.to_csv(Path(tmp, "test.csv"), index=False)
        runwell.log_artifacts(tmp, artifact_path=ARTIFACT_DIR)
        runwell.log_metrics(
            {"train_rows": len(train), "test_rows": len(test), "humidity_filled": missing}
        )
    print(
        f"featurize: {len(train):,} train / {len(test):,} test rows, {missing} humidity readings "
        f"filled -> runs:/{run.info.run_id}/{ARTIFACT_DIR}"
    )


if __name__ == "__main__":
    main()
