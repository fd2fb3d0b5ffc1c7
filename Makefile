# bayfin — two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install lint bench test-arm64 test-arm64-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@# The voice tests speak with espeak-ng (Debian package); without it they skip with a reason.
	@command -v espeak-ng >/dev/null || echo "espeak-ng is missing (apt-get install espeak-ng): voice tests with real audio will skip"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install bayfin with its test tools

demo: $(STAMP) ## Migrate the embedded SQLite database, load a generated demo region, serve the API on :8000
	$(BIN)/bayfin demo run

test: $(STAMP) ## Lint (style, module contracts, types), then the whole test suite
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

lint: $(STAMP) ## Style, imports between modules, types
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src

test-arm64: ## The whole suite inside an emulated arm64 Debian root (root needed; see docs/deploy.md)
	bash scripts/arm64-test.sh full

test-arm64-smoke: ## A quick arm64 subset (what CI runs)
	bash scripts/arm64-test.sh smoke

clean:
	rm -rf $(VENV) var .pytest_cache
