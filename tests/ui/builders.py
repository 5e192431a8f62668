"""Demo data for the UI tests, logged through RunwellClient against a live server.

``populate`` makes an experiment whose names, params, tags, descriptions and artifacts carry an
XSS corpus, runs with nested children, metric histories (one sampled), every artifact type the
browser previews, a logged model and a registered model with versions, aliases and stages.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from runwell import Metric, Param, RunTag, RunwellClient
from runwell.entities import Dataset, DatasetInput, InputTag

# Each would run script if a page put it into the DOM as markup; the tests check that the
# marker never fires (window.__xss stays unset) and that the text shows up escaped.
XSS = [
    "<script>window.__xss='script'</script>",
    '"><img src=x onerror="window.__xss=\'img\'">',
    "<svg onload=\"window.__xss='svg'\"><script>window.__xss='svg2'</script></svg>",
    "javascript:window.__xss='url'",
    "</textarea><script>window.__xss='textarea'</script>",
]
XSS_MARKDOWN = (
    "# Notes\n\n**bold** and a [link](https://example.invalid) and "
    "[bad](javascript:window.__xss='md-link')\n\n<script>window.__xss='md'</script>\n"
    "<img src=x onerror=\"window.__xss='md-img'\">"
)
HTML_ARTIFACT = "<h1>report</h1><script>window.parent.__xss='iframe'</script>"
SVG_ARTIFACT = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" '
    "onload=\"window.parent.__xss='svg-artifact'\"><rect width='40' height='40' fill='teal'/>"
    "<script>window.parent.__xss='svg-script'</script></svg>"
)
MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: runwell.sklearn
    python_version: 3.11.0
  sklearn:
    sklearn_version: 1.5.0
    serialization_format: cloudpickle
model_uuid: 0123456789abcdef
signature:
  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type": "double",
    "name": "petal_width", "required": true}]'
  outputs: '[{"type": "long", "name": "class", "required": true}]'
utc_time_created: '2026-01-01 00:00:00.000000'
"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f80f04000109010027d8b0e50000000049454e44ae426082"
)


@dataclass
class Demo:
    experiment_id: str
    parent: str
    children: list[str]
    runs: list[str]
    xss_run: str
    model_name: str


def _artifacts(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("line one\nline two <b>not bold</b>\n")
    (folder / "config.json").write_text(json.dumps({"lr": 0.1, "layers": [64, 32]}))
    (folder / "params.yaml").write_text("lr: 0.1\noptimizer: adam\n")
    with open(folder / "table.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["a", "b", "label"])
        for i in range(5):
            writer.writerow([i, i * i, XSS[0] if i == 0 else f"row{i}"])
    (folder / "table.tsv").write_text("x\ty\n1\t2\n3\t4\n")
    (folder / "plot.png").write_bytes(PNG)
    (folder / "vector.svg").write_text(SVG_ARTIFACT)
    (folder / "report.html").write_text(HTML_ARTIFACT)
    model = folder / "model"
    model.mkdir(exist_ok=True)
    (model / "MLmodel").write_text(MLMODEL)
    (model / "requirements.txt").write_text("scikit-learn==1.5.0\nnumpy\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": [1, 2, 3], "name": ["x", "y", XSS[1]]}), folder / "data.parquet")
    return folder


def populate(client: RunwellClient, scratch: Path, runs: int = 6) -> Demo:
    """The demo experiment (see the module docstring)."""
    experiment = client.create_experiment(f"vision {XSS[0]}")
    client.set_experiment_tag(experiment, "mlflow.note.content", XSS_MARKDOWN)
    parent = client.create_run(experiment, run_name="sweep").info.run_id
    client.log_batch(parent, params=[Param(key="sweep", value="grid")])
    ids: list[str] = []
    for index in range(runs):
        run = client.create_run(
            experiment,
            run_name=f"trial-{index}",
            tags={"mlflow.parentRunId": parent} if index < 3 else None,
        ).info.run_id
        points = [
            Metric(
                key=key, value=scale / (step + 1) + index * 0.01, timestamp=1_000 + step, step=step
            )
            for key, scale in (("loss", 1.0), ("accuracy", -1.0), ("system/cpu", 50.0))
            for step in range(50)
        ]
        client.log_batch(
            run,
            metrics=points,
            params=[
                Param(key="lr", value=str(0.1 / (index + 1))),
                Param(key="model", value="cnn" if index % 2 else "mlp"),
            ],
            tags=[RunTag(key="team", value="vision")],
        )
        client.set_terminated(run, "FINISHED" if index else "FAILED")
        ids.append(run)
    xss = client.create_run(experiment, run_name=XSS[1]).info.run_id
    client.log_batch(
        xss,
        metrics=[Metric(key="odd key: a/b", value=1.0, timestamp=1, step=0)],
        params=[Param(key="payload", value=XSS[3])]
        + [Param(key=f"xss{i}", value=text) for i, text in enumerate(XSS)],
        tags=[RunTag(key="mlflow.note.content", value=XSS_MARKDOWN)]
        + [RunTag(key=f"xss{i}", value=text) for i, text in enumerate(XSS)],
    )
    client.log_inputs(
        xss,
        [
            DatasetInput(
                dataset=Dataset(name=XSS[0], digest="abc123", source_type="local", source=XSS[3]),
                tags=(InputTag(key="mlflow.data.context", value="train"),),
            )
        ],
    )
    client.log_artifacts(xss, str(_artifacts(scratch / "artifacts")))
    client.log_text(xss, XSS[2], f"odd/{XSS[1][:10]}.txt")
    model_name = "iris classifier"
    client.create_registered_model(model_name, description="**Production** iris model")
    for run in [*ids[:2], xss]:
        client.create_model_version(model_name, f"runs:/{run}/model", run_id=run)
    client.set_registered_model_alias(model_name, "champion", "2")
    client.transition_model_version_stage(model_name, "1", "Production")
    client.create_registered_model(f"xss {XSS[1]}", description=XSS_MARKDOWN)
    return Demo(
        experiment_id=experiment,
        parent=parent,
        children=ids[:3],
        runs=ids,
        xss_run=xss,
        model_name=model_name,
    )
