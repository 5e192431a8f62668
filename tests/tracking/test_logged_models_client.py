"""RunwellClient's logged-model calls (MLflow 3's names), on the embedded store and over REST."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import runwell
from runwell.entities import LoggedModelStatus
from runwell.errors import InvalidArgument, NotFound
from tests.rest.backend import RestBackend


@pytest.fixture(params=["embedded", "rest"])
def any_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[runwell.RunwellClient]:
    if request.param == "embedded":
        yield runwell.RunwellClient()
        return
    backend: RestBackend = request.getfixturevalue("rest_backend")
    with backend.fresh_store(tmp_path):
        yield runwell.RunwellClient(backend.url)


def test_a_model_is_created_finalized_tagged_searched_and_deleted(
    any_client: runwell.RunwellClient,
) -> None:
    client = any_client
    experiment_id = client.create_experiment("models")
    run_id = client.create_run(experiment_id).info.run_id
    model = client.create_logged_model(
        experiment_id, name="clf", source_run_id=run_id, tags={"team": "a"}, params={"alpha": 0.5}
    )
    assert (model.status, model.name, model.source_run_id) == (
        LoggedModelStatus.PENDING,
        "clf",
        run_id,
    )
    assert model.model_id.startswith("m-")
    ready = client.finalize_logged_model(model.model_id, "READY")
    assert ready.status is LoggedModelStatus.READY
    client.set_logged_model_tags(model.model_id, {"stage": "dev", "n": 3})
    client.delete_logged_model_tag(model.model_id, "team")
    client.log_model_params(model.model_id, {"depth": 4})
    fetched = client.get_logged_model(model.model_id)
    assert fetched.tag_dict == {"stage": "dev", "n": "3"}
    assert fetched.params == {"alpha": "0.5", "depth": "4"}
    assert fetched.tags == fetched.tag_dict  # as MLflow: dicts
    other = client.create_logged_model(experiment_id, name="other")
    page = client.search_logged_models([experiment_id], filter_string="name = 'clf'")
    assert [m.model_id for m in page.items] == [model.model_id]
    first = client.search_logged_models([experiment_id], max_results=1)
    assert len(first.items) == 1 and first.token
    rest = client.search_logged_models([experiment_id], max_results=1, page_token=first.token)
    assert {first.items[0].model_id, rest.items[0].model_id} == {model.model_id, other.model_id}
    client.delete_logged_model(other.model_id)
    with pytest.raises(NotFound):
        client.get_logged_model(other.model_id)


def test_bad_logged_model_calls_name_the_problem(any_client: runwell.RunwellClient) -> None:
    client = any_client
    experiment_id = client.create_experiment("bad-models")
    model = client.create_logged_model(experiment_id)
    with pytest.raises(InvalidArgument, match="status"):
        client.finalize_logged_model(model.model_id, "DONE")
    with pytest.raises(NotFound):
        client.get_logged_model("m-" + "0" * 32)
    client.log_model_params(model.model_id, {"alpha": 1})
    with pytest.raises(InvalidArgument):
        client.log_model_params(model.model_id, {"alpha": 2})
    with pytest.raises(InvalidArgument):
        client.search_logged_models([experiment_id], filter_string="name ~ 'x'")
