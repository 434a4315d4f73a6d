# Baton — the two commands a fresh Debian 12 machine needs (as root):
#   make demo   build and run the demo
#   make test   build and run every test (normal build and an ASan+UBSan build, then 30 s of
#               each fuzz target)
#   make fuzz   run each libFuzzer target of tests/fuzz for FUZZ_SECONDS (300)
#   make bench  every benchmark of bench/ beside its baseline (< 15 min): one table, and
#               bench/results/<date>-<host>.{json,md,png}

BUILD      := build
ASAN_BUILD := build-asan
FUZZ_BUILD := build-fuzz
CTEST_JOBS ?= 2
FUZZ_SECONDS ?= 300

# Everything the project builds, tests and runs with: Debian packages only.
DEB_PACKAGES := build-essential cmake ninja-build pkg-config git \
	libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libboost-dev libpugixml-dev \
	libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libspdlog-dev \
	python3 python3-zmq python3-msgpack python3-pytest python3-setuptools python3-pip \
	clang-format procps tmux libxml2-utils clang libclang-rt-14-dev iproute2 gnuplot-nox

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps configure build asan fuzz-build fuzz fuzz-smoke test unit demo format format-check \
	bench bench-quick \
	clean

all: build

# Installs what is missing; runs apt-get update only when there are no package lists yet, or when
# an install fails on stale lists.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  if [ -z "$$(ls /var/lib/apt/lists/ 2>/dev/null | grep _Packages)" ]; then $(SUDO) apt-get update -qq; fi; \
	  $(SUDO) apt-get install -y -qq --no-install-recommends $$missing || \
	    { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; }; \
	fi

$(BUILD)/build.ninja:
	cmake --preset default

$(ASAN_BUILD)/build.ninja:
	cmake --preset asan

build: deps $(BUILD)/build.ninja
	cmake --build --preset default

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build --preset asan

$(FUZZ_BUILD)/build.ninja:
	cmake --preset fuzz

# The libFuzzer targets (clang, ASan + UBSan) and the two libraries they test, nothing else.
fuzz-build: deps $(FUZZ_BUILD)/build.ninja
	cmake --build --preset fuzz

# Each fuzz target for FUZZ_SECONDS, two at a time, on a copy of tests/fuzz/corpus in build-fuzz/;
# a crash, leak, hang (5 s) or OOM (1 GiB) fails and prints the reproducer.
fuzz: fuzz-build
	tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	tests/fuzz/run_fuzzers.sh $(FUZZ_BUILD) 30

# Every test, twice: as shipped, and under AddressSanitizer + UndefinedBehaviorSanitizer; then
# 30 s of each fuzz target and the benchmarks' smoke test.
test: build asan
	ctest --preset default -j $(CTEST_JOBS)
	ctest --preset asan -j $(CTEST_JOBS)
	$(MAKE) fuzz-smoke
	$(MAKE) bench-quick

# Every benchmark beside its baseline, one after the other on a machine left alone.
bench: build
	bench/run_bench.py --bin $(BUILD)/bin

# A reduced run of every benchmark (under a minute): checks that each runs and reports sane
# numbers, not the targets.
bench-quick: build
	bench/run_bench.py --bin $(BUILD)/bin --quick

unit: build
	ctest --preset default -j $(CTEST_JOBS)

# Only what the demo runs: `baton` (broker and node in one process) and the demo's app.
demo: deps $(BUILD)/build.ninja
	cmake --build --preset default --target baton baton-demo-app
	scripts/demo.sh

format:
	git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format -i

format-check:
	git ls-files '*.cpp' '*.hpp' '*.h' '*.c' | xargs clang-format --dry-run --Werror

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
