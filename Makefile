# Set-up is two commands: `make demo` and `make test`. Everything they need is installed here.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
LOCAL_DIR ?= $(CURDIR)/.local
export SAKUSEI_LOCAL_DIR := $(LOCAL_DIR)
PROTO_SRC := $(wildcard proto/sakusei/v1/*.proto)
PB_DIR := services/common/pb
PB_STAMP := $(PB_DIR)/sakusei/.stamp

.PHONY: install proto keys demo test unit up down k8s-check bench clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==25.3
	$(PY) -m pip install -q -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed

# Generated code lives in services/common/pb/sakusei/v1 (ignored by git); its imports are
# rewritten into the services.common.pb namespace so no top-level "sakusei" module is needed.
$(PB_STAMP): $(PROTO_SRC) $(VENV)/.installed
	rm -rf $(PB_DIR)/sakusei
	$(PY) -m grpc_tools.protoc -I proto --python_out=$(PB_DIR) --grpc_python_out=$(PB_DIR) \
		--pyi_out=$(PB_DIR) $(PROTO_SRC)
	sed -i -E 's/^from sakusei\.v1 import/from services.common.pb.sakusei.v1 import/' \
		$(PB_DIR)/sakusei/v1/*.py $(PB_DIR)/sakusei/v1/*.pyi
	touch $(PB_DIR)/sakusei/__init__.py $(PB_DIR)/sakusei/v1/__init__.py $@

proto: $(PB_STAMP)

KEYS := $(LOCAL_DIR)/keys/token_ed25519.pem

$(KEYS): $(VENV)/.installed
	$(VENV)/bin/sakusei token keygen $(LOCAL_DIR)/keys >/dev/null

keys: $(KEYS)

# The platform's main job end to end, in one process on embedded defaults.
demo: proto
	$(VENV)/bin/sakusei demo

# Kafka and MinIO on loopback, then the four services as separate processes.
up: proto keys
	bash deploy/local/up.sh
	bash deploy/local/services.sh start

down:
	bash deploy/local/services.sh stop
	bash deploy/local/postgres.sh stop
	bash deploy/local/down.sh

# The whole suite on real Kafka, MinIO, Dask and PostgreSQL; the infrastructure is stopped whatever
# the outcome.
test: proto keys
	bash deploy/local/up.sh
	bash deploy/local/postgres.sh start
	status=0; SAKUSEI_REQUIRE_INFRA=1 $(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) || status=$$?; \
		bash deploy/local/postgres.sh stop; bash deploy/local/down.sh; exit $$status

# The tests that need no infrastructure.
unit: proto
	$(PY) -m pytest -q tests/unit

# Benchmarks print figures; they are never timed tests. BENCH_INPUTS picks the anonymization
# inputs (adult, x10, x100, x1000, x3000); the large ones take minutes and many GB of disk.
BENCH_INPUTS ?= adult,x100
bench: proto
	$(PY) bench/anonymity.py --inputs $(BENCH_INPUTS)
	$(PY) bench/conversion.py --rows 1000000 10000000
	bash deploy/local/up.sh
	$(PY) bench/push_throughput.py

k8s-check: $(VENV)/.installed
	bash deploy/k8s/check.sh

clean:
	rm -rf $(PB_DIR)/sakusei
