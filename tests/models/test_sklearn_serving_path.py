"""sklearn's serving path: arrays for exactly-matching frames, identical predictions."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import runwell.pyfunc
import runwell.sklearn

FRAME = pd.DataFrame({"a": [0.0, 1.0, 0.5, 2.0], "b": [1.0, 0.0, 0.5, 1.0]})
LABELS = np.array([0, 1, 0, 1])


def test_serving_path_predicts_the_same_without_warnings(tmp_path: Path) -> None:
    clf = LogisticRegression().fit(FRAME, LABELS)
    runwell.sklearn.save_model(clf, tmp_path / "m", input_example=FRAME.head(2))
    plain = runwell.pyfunc.load_model(str(tmp_path / "m"))
    serving = runwell.pyfunc.load_model(str(tmp_path / "m"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        serving.prepare_for_serving()  # its warnings filter goes first, inside this block
        wrapper = serving._impl
        assert type(wrapper._input(FRAME)) is np.ndarray
        reordered = FRAME[["b", "a"]]
        assert wrapper._input(reordered) is reordered  # other columns: the frame as given
        got = serving.predict(FRAME)
    assert caught == []
    assert got.tolist() == plain.predict(FRAME).tolist() == clf.predict(FRAME).tolist()
    assert type(plain._impl._input(FRAME)) is pd.DataFrame
