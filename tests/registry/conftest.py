"""Registry fixtures: a SqlRegistryStore and a SqlTrackingStore sharing one database of each
SQL backend (runs and logged models are the lineage that versions point at)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from runwell.store.sql.registry import SqlRegistryStore
from runwell.store.sql.tracking import SqlTrackingStore


@dataclass
class Stores:
    """The registry and the tracking store of one database, and its artifact root."""

    registry: SqlRegistryStore
    tracking: SqlTrackingStore
    artifacts: Path

    def run(self, experiment: str = "exp") -> str:
        """A new run's id (in an experiment created on first use)."""
        found = self.tracking.find_experiment_by_name(experiment)
        exp_id = (
            found.experiment_id
            if found is not None
            else self.tracking.create_experiment(experiment).experiment_id
        )
        return self.tracking.create_run(exp_id, "u", 1).info.run_id


# The contract tests register placeholder S3 sources; sources outside a run's artifacts are
# accepted only where an admin allowed them (store/registry_sources.py), as here.
ALLOWED_PLACEHOLDERS = "s3://bucket/,s3://b/"


@pytest.fixture(autouse=True)
def _placeholder_sources_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWELL_ALLOWED_MODEL_SOURCES", ALLOWED_PLACEHOLDERS)


def _stores(db_url: str, tmp_path: Path) -> Stores:
    artifacts = tmp_path / "artifacts"
    tracking = SqlTrackingStore(db_url, artifacts.as_uri())
    return Stores(SqlRegistryStore(db_url), tracking, artifacts)


@pytest.fixture
def stores(db_url: str, tmp_path: Path) -> Stores:
    return _stores(db_url, tmp_path)


@pytest.fixture
def sqlite_stores(tmp_path: Path) -> Stores:
    """Stores on one SQLite file, for rules that do not depend on the database."""
    return _stores(f"sqlite:///{tmp_path}/registry.db", tmp_path)


@pytest.fixture
def registry(stores: Stores) -> SqlRegistryStore:
    return stores.registry
