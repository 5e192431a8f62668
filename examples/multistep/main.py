"""The workflow's driver: run load_data, featurize and train as nested project runs.

    runwell run examples/multistep                          # the main entry point
    runwell run examples/multistep -P rows=20000 -P alpha=0.3

Launched by ``runwell run``, this script attaches to the run the runner made for it (the
parent) and starts each step with ``runwell.projects.run`` on this same project. Because the
parent is the active run, every step's run is nested under it (tag ``mlflow.parentRunId``).
A step's output reaches the next one as a ``runs:/<step run id>/<artifact path>`` URI passed
as a parameter, so each step can also be run, and re-run, on its own.

The steps use ``env_manager="local"``: they run in the interpreter this script runs in,
which the runner has already set up from python_env.yaml. When a step fails, the workflow
stops there and names the failed run. The parent gets a tag with each step's run id and the
train step's metrics.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import runwell
import runwell.projects

PROJECT = str(Path(__file__).resolve().parent)


def run_step(entry_point: str, parameters: dict[str, object], experiment_id: str) -> str:
    """Run one entry point of this project to its end; its run id (exits if it failed)."""
    print(f"main: running step {entry_point} with {parameters}", flush=True)
    try:
        submitted = runwell.projects.run(
            PROJECT,
            entry_point=entry_point,
            parameters=parameters,
            env_manager="local",
            experiment_id=experiment_id,
        )
    except runwell.projects.ProjectRunFailed as failed:
        sys.exit(f"main: step {entry_point} ended {failed.status}; see run {failed.run_id}")
    return submitted.run_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--alpha", type=float, default=1.0)
    args = parser.parse_args(argv)

    with runwell.start_run() as parent:
        experiment_id = parent.info.experiment_id
        load = run_step("load_data", {"rows": args.rows, "seed": args.seed}, experiment_id)
        features = run_step(
            "featurize", {"raw_data": f"runs:/{load}/raw/rentals.csv"}, experiment_id
        )
        train = run_step(
            "train", {"features": f"runs:/{features}/features", "alpha": args.alpha}, experiment_id
        )
        runwell.set_tags(
            {"multistep.load_data": load, "multistep.featurize": features, "multistep.train": train}
        )
        runwell.log_metrics(runwell.get_run(train).data.metric_dict)
    print(f"main: done; model at runs:/{train}/model (parent run {parent.info.run_id})")


if __name__ == "__main__":
    main()
