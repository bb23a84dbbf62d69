# mmmeta developer commands. Each target sets up the environment first
# (tools/install.sh: seconds when it is already complete).
#   make demo   install, then run the main job on generated data
#   make test   install, then lint and run the test suite (what CI runs;
#               a budget of 15 minutes on 2 cores: tests marked slow are left out)
#   make test-all  the same with every test, the slow ones too: run it
#               before resolving a change to models, configs or tools
#   make format rewrite the code in the project's style (ruff format)
#   make gpu-rehearsal  the GPU kit's dry run and contract tests in the
#               device's versions (Python 3.12, torch 2.11.0; docs/gpu.md)
PYTHON_ENV := $(or $(MMMETA_PYTHON),$(CURDIR)/.venv/bin/python)
PYTEST_ARGS ?=

.PHONY: install demo test test-all lint format gpu-rehearsal

install:
	bash tools/install.sh

demo: install
	$(PYTHON_ENV) tools/demo.py

LINT_PATHS := mmmeta tools dev tests configs demo setup.py

lint: install
	$(PYTHON_ENV) -m ruff check $(LINT_PATHS)
	$(PYTHON_ENV) -m ruff format --check $(LINT_PATHS)

format: install
	$(PYTHON_ENV) -m ruff format $(LINT_PATHS)
	$(PYTHON_ENV) -m ruff check --fix $(LINT_PATHS)

test: lint
	$(PYTHON_ENV) -m pytest tests -m 'not slow' $(PYTEST_ARGS)

test-all: lint
	$(PYTHON_ENV) -m pytest tests $(PYTEST_ARGS)

gpu-rehearsal:
	bash tools/gpu/rehearse.sh
