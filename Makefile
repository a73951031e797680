# The two commands of the README: `make run` and `make test`. Both set up what is missing.
SHELL := /bin/bash
.DEFAULT_GOAL := build
SWIFT_BUILD_FLAGS ?=
PORT ?= 8000
FUZZ_SECONDS ?= 60

.PHONY: setup build release run test swift-test e2e compat deploy-check example-check test-pythons wheel bench fuzz fuzz-connection fuzz-http2 clean

setup:
	@scripts/setup.sh

EXT_SUFFIX := .cpython-311-x86_64-linux-gnu.so

build: setup
	swift build $(SWIFT_BUILD_FLAGS) --product apus
	swift build $(SWIFT_BUILD_FLAGS) --product ApusExtension
	cp .build/debug/libApusExtension.so python/apus/_apus$(EXT_SUFFIX)

release: setup
	SWIFT_BUILD_FLAGS="$(SWIFT_BUILD_FLAGS)" scripts/build-for-python.sh 3.11 release >/dev/null

run: release
	.build/release/apus run app:app --app-dir examples --functions functions --host 127.0.0.1 --port $(PORT)

swift-test: setup
	swift test $(SWIFT_BUILD_FLAGS)

e2e: build
	.venv/bin/python -m pytest -q --timeout 300 Tests/python
	APUS_BIN=$(CURDIR)/.build/debug/apus .venv/bin/python -m pytest -q --timeout 300 Tests/e2e

# FastAPI's own tutorial tests through Apus; fails below the floors of Tests/compat/floors.json.
# Then again with `httpx2` installed, which Starlette's TestClient then uses instead of `httpx`.
compat: build
	Tests/compat/run.sh
	venv=$$(scripts/venv-httpx2.sh) && \
	  $$venv/bin/python -c "import starlette.testclient as t; assert t.httpx.__name__ == 'httpx2', t.httpx" && \
	  echo "compat: with httpx2 under Starlette's TestClient" && \
	  APUS_TEST_VENV=$(CURDIR)/$$venv APUS_COMPAT_OUT=$(CURDIR)/.build/compat-httpx2 Tests/compat/run.sh

# The container recipe and the Kubernetes and Knative manifests, checked offline (deploy/): the
# wheel installed into the checks' venv as the image installs it into the app's.
deploy-check: build
	scripts/venv-deploy.sh >/dev/null
	wheel=$$(scripts/build-wheel.sh 3.11 debug) && \
	  .build/venv-deploy/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps $$wheel && \
	  APUS_DEPLOY_WHEEL=$(CURDIR)/$$wheel .build/venv-deploy/bin/python -m pytest -q Tests/deploy

# examples/mixed-service built as a package that depends on Apus by URL and version, and its
# Swift handlers and FastAPI app tested over a socket (scripts/test-mixed-example.sh).
example-check: build
	scripts/test-mixed-example.sh

# The Pythons Apus is built for: each is this machine's own interpreter (scripts/find-python.sh).
PYTHON_VERSIONS ?= 3.11 3.12 3.13

# The end-to-end suite and FastAPI's tutorial tests on the builds for the other Pythons
# (scripts/test-python.sh), and each version's wheel installed and used as a user would
# (scripts/test-wheel.sh).
# A version this machine has no interpreter of is skipped with a line that says so
# (APUS_PYTHONS_REQUIRED=1 makes it an error).
test-pythons: build
	for version in $(filter-out 3.11,$(PYTHON_VERSIONS)); do \
	  if scripts/find-python.sh $$version >/dev/null 2>&1; then scripts/test-python.sh $$version || exit 1; \
	  else echo "test-pythons: no CPython $$version on this machine; its build is NOT tested"; \
	    [ "$${APUS_PYTHONS_REQUIRED:-0}" = 0 ] || exit 1; fi; done
	for version in $(PYTHON_VERSIONS); do \
	  if scripts/find-python.sh $$version >/dev/null 2>&1; then scripts/test-wheel.sh $$version || exit 1; \
	  else echo "test-pythons: no CPython $$version on this machine; its wheel is NOT tested"; \
	    [ "$${APUS_PYTHONS_REQUIRED:-0}" = 0 ] || exit 1; fi; done

# Release wheels in dist/, one per Python version (scripts/build-wheel.sh).
wheel: setup
	for version in $(PYTHON_VERSIONS); do scripts/build-wheel.sh $$version release || exit 1; done

test: swift-test e2e compat deploy-check example-check test-pythons

bench: release
	APUS_SETUP_EXTRA="wrk gcc curl" scripts/setup.sh
	.venv/bin/python bench/http_core.py --apus .build/release/apus
	.venv/bin/python bench/scale.py --apus .build/release/apus
	.venv/bin/python bench/functions.py --apus .build/release/apus
	.venv/bin/python bench/deps.py --apus .build/release/apus
	.venv/bin/python bench/websockets.py --apus .build/release/apus
	.venv/bin/python bench/soak.py --apus .build/release/apus
	.venv/bin/python bench/metrics_cost.py --apus .build/release/apus
	.venv/bin/python bench/http2.py --apus .build/release/apus
	.venv/bin/python bench/tls.py --apus .build/release/apus
	.venv/bin/python bench/pythons.py
	bench/peers.sh

# libFuzzer over the HTTP request decoder; not part of `make test`.
fuzz: setup
	APUS_FUZZ=1 swift build --scratch-path .build-fuzz -c debug \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product http-parser-fuzz
	.venv/bin/python scripts/fuzz-seeds.py fuzz-corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/debug/http-parser-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 fuzz-corpus Tests/fuzz-regressions

# libFuzzer over the connection: the decoder and ConnectionStateMachine under scripted events.
fuzz-connection: setup
	APUS_FUZZ=1 swift build --scratch-path .build-fuzz -c debug \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product connection-fuzz
	mkdir -p fuzz-connection-corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/debug/connection-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=512 -timeout=10 fuzz-connection-corpus

# libFuzzer over an HTTP/2 session (nghttp2 and the runtime's wrapper), answering what it reads.
fuzz-http2: setup
	APUS_FUZZ=1 swift build --scratch-path .build-fuzz -c debug \
	  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product http2-fuzz
	mkdir -p fuzz-http2-corpus
	SWIFT_BACKTRACE=enable=no .build-fuzz/debug/http2-fuzz -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 fuzz-http2-corpus

clean:
	rm -rf .build .build-fuzz .build-py3.* dist
