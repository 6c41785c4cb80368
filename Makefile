# Two commands do all set-up: `make run` opens the app, `make test` runs every check.
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint bench snapshots package clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# torch first: the CPU wheel, so sentence-transformers does not pull a CUDA build
	$(BIN)/python -m pip install --quiet torch==2.13.0
	@# [train] (peft, gguf: ~15 MB, seconds) so `make test` also trains a LoRA adapter
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	@# The embedder's ONNX graph, exported once from the packaged model (~10 s): each
	@# start then embeds on onnxruntime without importing torch (assistant/onnx_encoder.py).
	@# Not fatal: without it the app embeds through sentence-transformers and retries the
	@# export into its cache (`assistant doctor` names the path in use).
	$(BIN)/python -m assistant.embedder || echo "warning: no embedder graph; the app falls back to sentence-transformers"
	@touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/assistant

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@# The layer contract (pyproject.toml [tool.importlinter]): fails on an upward import.
	$(BIN)/lint-imports

# Two workers, each pinned to its share of the cores (tests/conftest.py); whole files go
# to one worker, so a module's fixtures (the bundle, the trained adapter) are built once.
TEST_WORKERS ?= 2
PYTEST_ARGS ?=
test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m tests.bench

snapshots: setup
	$(BIN)/pytest tests/test_tui_snapshots.py --snapshot-update

# A one-folder PyInstaller bundle with both embedded models: dist/assistant/assistant.
package: setup
	$(BIN)/python -m pip install --quiet -e '.[package]'
	$(BIN)/pyinstaller packaging/assistant.spec --noconfirm --distpath dist --workpath build

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
