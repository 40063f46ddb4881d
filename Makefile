# Entry points for a fresh Debian 12 machine:
#   make demo   install what is missing, build, run the demo
#   make test   install what is missing, build with sanitizers, run every test
#   make deb    the Debian package (build/release/evgroup_<version>_<arch>.deb)
# Build trees live under build/ (release: build/release, tests: build/asan).

# What building and running need; the tests need more (TEST_PACKAGES).
DEB_PACKAGES := build-essential cmake pkg-config python3 \
                libuv1-dev libinih-dev libjansson-dev libcmocka-dev \
                libmodbus-dev libsqlite3-dev libmicrohttpd-dev libsodium-dev \
                libncurses-dev libcurl4-openssl-dev libglpk-dev socat \
                libsystemd-dev libmosquitto-dev libwebsockets-dev
TEST_PACKAGES := clang mbpoll python3-pymodbus python3-serial sqlite3 \
                 chromium nodejs wrk openssl tmux $(PKG_PACKAGES) lintian \
                 man-db systemd mosquitto mosquitto-clients
# What make deb needs besides the build's (CPack: dpkg-shlibdeps, file).
PKG_PACKAGES := dpkg-dev file
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# ctest's slots: most process tests wait on real time, so four share a
# core; the busy ones take more slots (tests/CMakeLists.txt, the schedule).
TEST_JOBS ?= $(shell echo $$((4 * $(JOBS))))
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps deps-test deps-pkg install-packages demo-charger build build-asan build-clang test deb demo bench bench-fw bench-alloc bench-store bench-energy bench-link bench-web bench-mqtt bench-bms bench-tui bench-ocpp clean

all: build

# Installs only the Debian packages that are not there yet.
deps:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES)"

deps-test:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES) $(TEST_PACKAGES)"

deps-pkg:
	@$(MAKE) --no-print-directory install-packages PACKAGES="$(DEB_PACKAGES) $(PKG_PACKAGES)"

install-packages:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/release -j $(JOBS)

build-asan: deps-test
	cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DEVG_SANITIZE=ON >/dev/null
	cmake --build build/asan -j $(JOBS)

# The same sources must also build warning-free with clang; this build
# also holds the fuzz targets (libFuzzer, ASan, UBSan).
build-clang: deps-test
	CC=clang cmake -S . -B build/clang -DCMAKE_BUILD_TYPE=Debug -DEVG_FUZZ=ON >/dev/null
	cmake --build build/clang -j $(JOBS)

# The release build (gcc -O2) comes first: its optimiser sees warnings
# the Debug builds do not, and make demo must build.
# The fuzz runs side by side (each has its own time budget and core).
test: build build-asan build-clang
	cd build/asan && ctest --output-on-failure -j $(TEST_JOBS)
	cd build/clang && ctest --output-on-failure -j $(JOBS) -R '^fuzz_'

# The Debian package, evgroup_<version>_<arch>.deb, from the release
# build (CPack: cmake/package.cmake; docs/operations.md).
deb: deps-pkg build
	cd build/release && cpack -G DEB
	@ls build/release/evgroup_*.deb

# A live simulated site (SPEED=10: its clock ten times faster). Only the
# three programs it runs are built, so that it starts quickly.
demo: deps
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/release -j $(JOBS) --target evgroup-master evgroup-sim evgroup-tui
	python3 sim/demo.py build/release demo-data

# One charger through a charging session, narrated (45 s).
demo-charger: build
	python3 sim/demo_session.py --slave build/release/slave/evgroup-slave

# Benchmarks run on the release build and print figures (docs/performance.md).
bench: bench-fw bench-alloc bench-store bench-energy bench-link bench-web bench-mqtt bench-bms bench-tui bench-ocpp

bench-fw: build
	build/release/tests/bench_fw

bench-alloc: build
	build/release/tests/bench_alloc

# About a minute: event rates from 0 (the baseline) to 100000 a second.
bench-store: build
	build/release/tests/bench_store /tmp

# Seconds: GET /api/energy's reads on 100,000 sessions, in London's time.
bench-energy: build
	TZ=Europe/London build/release/tests/bench_energy /tmp

# About 5 minutes: 10, 100, 1000 chargers and 1000 with 10 % blackholed.
bench-link: build
	python3 tests/bench/bench_link.py build/release 60 10 100 1000

# About 2 minutes: the JSON API under wrk with 1000 connectors.
bench-web: build
	python3 tests/bench/bench_web.py build/release 500 30 32

bench-mqtt: build deps-test
	python3 tests/bench/bench_mqtt.py build/release 500 60

# About 2 minutes: the BMS server read in a loop at 1000 connectors.
bench-bms: build
	python3 tests/bench/bench_bms.py build/release 500 30

# About 4 minutes: 500 OCPP charge points against the test CSMS, the
# transport alone, then the master without and with OCPP.
bench-ocpp: build deps-test
	python3 tests/bench/bench_ocpp.py build/release 500 30

# About 2 minutes: the console following 1000 connectors.
bench-tui: build
	python3 tests/bench/bench_tui.py build/release 500 60

clean:
	rm -rf build
