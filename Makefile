# runwell developer commands. `make run` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MLFLOW_VENV := .venv-mlflow
# runwell alone (make run: no bytecode compilation up front, it serves sooner), with the
# example's libraries (make demo), with the test set (make test).
CORE_STAMP := $(VENV)/.installed-core
DEMO_STAMP := $(VENV)/.installed-demo
STAMP := $(VENV)/.installed
MLFLOW_STAMP := $(MLFLOW_VENV)/.installed
# uv ignores pip's configuration; where the machine keeps local wheels (the CPU build of torch),
# pass them on, or `torch==2.13.0` resolves to the multi-GB CUDA build.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels)

.PHONY: run demo test test-fast test-slow lint bench env mlflow-env clean fuzz load stress

$(CORE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python -q $(FIND_LINKS) -e .
	touch $(CORE_STAMP)

$(DEMO_STAMP): $(CORE_STAMP)
	$(BIN)/uv pip install --python $(BIN)/python -q --compile-bytecode $(FIND_LINKS) -e '.[examples]'
	touch $(DEMO_STAMP)

$(STAMP): $(CORE_STAMP)
	$(BIN)/uv pip install --python $(BIN)/python -q --compile-bytecode $(FIND_LINKS) -e '.[test]'
	touch $(STAMP)

env: $(STAMP)

# mlflow lives in its own virtualenv: tests and benchmarks call it as a subprocess, so its pins
# never constrain runwell's dependencies.
$(MLFLOW_STAMP): Makefile
	test -x $(MLFLOW_VENV)/bin/python || $(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install -q --upgrade pip uv
	$(MLFLOW_VENV)/bin/uv pip install --python $(MLFLOW_VENV)/bin/python -q --compile-bytecode $(FIND_LINKS) \
		'mlflow>=3.17,<3.18' xgboost-cpu lightgbm statsmodels onnx onnxruntime 'torch==2.13.0' lightning playwright
	touch $(MLFLOW_STAMP)

mlflow-env: $(MLFLOW_STAMP)

# The tracking server on http://127.0.0.1:5000: runs in ./runwell.db, artifacts in
# ./runwell-artifacts (Ctrl-C stops it). `make demo`, in another terminal, logs into it.
run: $(CORE_STAMP)
	$(BIN)/runwell server --host 127.0.0.1 --port 5000 \
		--backend-store-uri sqlite:///runwell.db --artifacts-destination ./runwell-artifacts

demo: $(DEMO_STAMP)
	RUNWELL_TRACKING_URI=http://127.0.0.1:5000 $(BIN)/python examples/quickstart.py

test: $(STAMP) $(MLFLOW_STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser" -n 2
	$(BIN)/python -m pytest -q -m "slow and not browser"
	$(BIN)/python -m pytest -q -m browser
	$(MAKE) lint

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser" -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/lint-imports

# Schemathesis over /openapi.json, 200 cases per operation (make test runs 10).
fuzz: $(STAMP)
	RUNWELL_FUZZ_EXAMPLES=200 $(BIN)/python -m pytest -q -s tests/fuzz

# 64 clients for 60 s against a 4-worker server on PostgreSQL (make test runs 10 s).
# Its figures go to bench/results/load.json and into docs/benchmarks.md.
load: $(STAMP)
	RUNWELL_LOAD_SECONDS=60 RUNWELL_LOAD_RESULTS=$(CURDIR)/bench/results/load.json \
		$(BIN)/python -m pytest -q -s tests/reliability/test_load.py
	$(BIN)/python bench/report.py

# 30 rounds of 60 s of each stress variant (make test runs 3 of 20 s): 8 fluent-API processes
# and 8 HTTP clients of a 4-worker server on one SQLite file, every acknowledged point audited.
# About 70 minutes; the totals go to bench/results/stress.json and docs/benchmarks.md.
stress: $(STAMP)
	rm -f bench/results/stress.json
	RUNWELL_STRESS_ROUNDS=30 RUNWELL_STRESS_SECONDS=60 \
		RUNWELL_STRESS_RESULTS=$(CURDIR)/bench/results/stress.json \
		$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/reliability/test_stress.py
	$(BIN)/python bench/report.py

bench: $(STAMP) $(MLFLOW_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) runwell.db runwell.db-* runwell-artifacts
