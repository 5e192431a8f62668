"""Step 1 of the workflow: make the raw data and log it as the artifact ``raw/rentals.csv``.

    runwell run examples/multistep -e load_data -P rows=5000

The data is generated, not downloaded: hourly bike rentals with a timestamp, the temperature
in Fahrenheit, the humidity (about 2% of it missing, as sensors do), the weather and the count
of rentals, which rises with warmth, falls with rain, and peaks at commuting hours on weekdays.
The next step (featurize) reads the file from this run by its ``runs:/`` URI.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import runwell

ARTIFACT_DIR = "raw"
FILE_NAME = "rentals.csv"
WEATHER = ("clear", "cloudy", "rain", "snow")


def make_rentals(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.date_range("2024-01-01", periods=rows, freq="h")
    day_of_year = stamps.dayofyear.to_numpy()
    hour = stamps.hour.to_numpy()
    weekday = stamps.dayofweek.to_numpy() < 5
    temp_f = 55 - 22 * np.cos(2 * np.pi * day_of_year / 365) + rng.normal(0, 6, rows)
    weather = rng.choice(len(WEATHER), size=rows, p=[0.55, 0.28, 0.14, 0.03])
    weather[(weather == 3) & (temp_f > 40)] = 2  # no snow on warm days
    humidity = np.clip(55 + 12 * (weather >= 2) + rng.normal(0, 12, rows), 10, 100)
    commute = weekday & np.isin(hour, (7, 8, 17, 18))
    daytime = (hour >= 7) & (hour <= 21)
    expected = (
        8
        + 1.6 * np.clip(temp_f - 30, 0, None)
        + 40 * daytime
        + 90 * commute
        - 35 * (weather == 2)
        - 45 * (weather == 3)
        - 0.3 * (humidity - 55)
    )
    rentals = rng.poisson(np.clip(expected, 1, None))
    humidity_text = np.round(humidity, 1).astype(object)
    humidity_text[rng.random(rows) < 0.02] = None  # missing readings
    frame: pd.DataFrame = pd.DataFrame(
        {
            "timestamp": stamps.strftime("%Y-%m-%dT%H:%M:%S"),
            "temp_f": np.round(temp_f, 1),
            "humidity": humidity_text,
            "weather": [WEATHER[w] for w in weather],
            "rentals": rentals,
        }
    )
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")

    frame = make_rentals(args.rows, args.seed)
    with runwell.start_run() as run, tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, FILE_NAME)
        frame.to_csv(path, index=False)
        runwell.log_artifact(str(path), artifact_path=ARTIFACT_DIR)
        runwell.log_metric("rows", len(frame))
    print(f"load_data: {len(frame):,} rows -> runs:/{run.info.run_id}/{ARTIFACT_DIR}/{FILE_NAME}")


if __name__ == "__main__":
    main()
