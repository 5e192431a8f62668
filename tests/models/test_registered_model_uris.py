"""models:/<name>/<version>, /<stage>, /latest and @<alias> load registered model versions."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import runwell
import runwell.pyfunc
import runwell.sklearn
from runwell.errors import InvalidArgument, NotFound

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [2.0, 1.0]])
Y = np.array([0, 1, 0, 1])


def test_log_register_alias_stage_and_load_by_every_uri_form() -> None:
    first = LogisticRegression().fit(X, Y)
    second = LogisticRegression(C=0.01).fit(X, 1 - Y)
    with runwell.start_run():
        one = runwell.sklearn.log_model(first, name="clf", registered_model_name="wine")
        two = runwell.sklearn.log_model(second, name="clf", registered_model_name="wine")
    assert (one.registered_model_version, two.registered_model_version) == (1, 2)
    client = runwell.RunwellClient()
    client.set_registered_model_alias("wine", "champion", "1")
    client.transition_model_version_stage("wine", "2", "Production")
    expected = {1: first.predict(X).tolist(), 2: second.predict(X).tolist()}
    for uri, version in [
        ("models:/wine/1", 1),
        ("models:/wine/2", 2),
        ("models:/wine@champion", 1),
        ("models:/wine/latest", 2),
        ("models:/wine/Production", 2),
        (one.model_uri, 1),
    ]:
        assert runwell.pyfunc.load_model(uri).predict(X).tolist() == expected[version], uri
    # The alias moves: the same URI now loads the other version.
    client.set_registered_model_alias("wine", "champion", "2")
    assert runwell.pyfunc.load_model("models:/wine@champion").predict(X).tolist() == expected[2]


def test_missing_versions_aliases_and_stages_are_clear_errors() -> None:
    with runwell.start_run():
        runwell.sklearn.log_model(
            LogisticRegression().fit(X, Y), name="clf", registered_model_name="wine"
        )
    with pytest.raises(NotFound, match="version=7"):
        runwell.pyfunc.load_model("models:/wine/7")
    with pytest.raises((NotFound, InvalidArgument), match="nope"):
        runwell.pyfunc.load_model("models:/wine@nope")
    with pytest.raises(NotFound, match=r"Staging|No versions"):
        runwell.pyfunc.load_model("models:/wine/Staging")
