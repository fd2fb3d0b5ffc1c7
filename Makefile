# bayfin — two commands: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install lock lint bench test-arm64 test-arm64-smoke clean

# Every install comes from uv.lock (exact versions and hashes for every platform), so a fresh clone
# installs what CI tested. uv itself is bootstrapped into .tools/ at a pinned version when the machine
# has none. Update the lock after changing pyproject.toml: `make lock` (docs/deploy.md).
UV_VERSION := 0.13.9
UV ?= $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-extras --python $(PYTHON)
	@# The voice tests speak with espeak-ng (Debian package); without it they skip with a reason.
	@command -v espeak-ng >/dev/null || echo "espeak-ng is missing (apt-get install espeak-ng): voice tests with real audio will skip"
	touch $(STAMP)

lock: | $(UV) ## Re-resolve uv.lock after a change to pyproject.toml (upgrade all: make lock LOCK_ARGS=--upgrade)
	$(UV) lock $(LOCK_ARGS)

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
	rm -rf $(VENV) .tools var .pytest_cache
