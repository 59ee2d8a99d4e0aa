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

.PHONY: install proto demo test unit up down keys clean

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
