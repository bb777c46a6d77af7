# keyfin — see README.md.  `make run` / `make start` / `make stop` / `make test`.

BUILD    ?= build
CC       ?= cc
PKGS      = fcgi libsodium json-c libpq
CFLAGS   ?= -O2 -g
WARN      = -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wformat=2 -Wwrite-strings -Wvla
HARDEN    = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDHARDEN  = -pie -Wl,-z,relro,-z,now
# CI (CI=true) and DEVELOPER=1 turn every warning into an error.
ifneq ($(filter true 1,$(CI) $(DEVELOPER)),)
WARN     += -Werror
endif
SANITIZE ?=
# A packaged build's settings file, read when KEYFIN_CONFIG is unset and it
# exists (debian/rules: /etc/keyfin/keyfin.conf); none by default.
DEFAULT_CONFIG ?=
ALL_CFLAGS  = $(WARN) $(CPPFLAGS) $(CFLAGS) $(HARDEN) $(SANITIZE) -D_GNU_SOURCE -Iinclude -I$(BUILD) \
	      $(if $(DEFAULT_CONFIG),-DKEYFIN_DEFAULT_CONFIG='"$(DEFAULT_CONFIG)"') \
	      $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
ALL_LDFLAGS = $(LDFLAGS) $(LDHARDEN) $(SANITIZE)
LIBS        = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

SRCS = $(wildcard src/*.c)
OBJS = $(SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/migrations.o
DEPS = $(OBJS:.o=.d)

UNIT_TESTS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))

.PHONY: all build deps run start stop status test check suite unit integration asan \
	fuzz fuzz-regress fuzz-short valgrind compat compat-docs browser deploy-check \
	test-containers bench clean install deb

all: build

build: $(BUILD)/keyfin

# Installs the Debian packages that are missing (a no-op when all are there).
deps:
	@scripts/deps

# The binary and the admin page (what debian/rules installs).
PREFIX ?= /usr/local
install: build
	install -D -m 0755 $(BUILD)/keyfin $(DESTDIR)$(PREFIX)/bin/keyfin
	install -d $(DESTDIR)$(PREFIX)/share/keyfin/web
	install -m 0644 web/*.html web/*.js web/*.css web/*.svg $(DESTDIR)$(PREFIX)/share/keyfin/web/

# The Debian package (debian/): the tree as git sees it, copied under
# build/deb/, built there with dpkg-buildpackage, checked with lintian and
# systemd-analyze verify; the .deb and the source package land in build/deb/.
deb: deps
	scripts/make-deb

$(BUILD)/keyfin: $(OBJS)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/migrations.c: scripts/embed-sql $(sort $(wildcard sql/*.sql))
	@mkdir -p $(BUILD)
	scripts/embed-sql $(sort $(wildcard sql/*.sql)) > $@

$(BUILD)/obj/migrations.o: $(BUILD)/migrations.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Unit tests: tests/unit/test_NAME.c links src/NAME.c (pure modules) and cmocka.
$(BUILD)/tests/test_%: tests/unit/test_%.c src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $(ALL_LDFLAGS) -o $@ $(filter %.c,$^) \
		$(shell pkg-config --cflags --libs cmocka libsodium json-c 2>/dev/null)

# Pure modules that use another one.
$(BUILD)/tests/test_uri: src/authhdr.c
$(BUILD)/tests/test_front: src/authhdr.c src/privfile.c
$(BUILD)/tests/test_token: src/privfile.c
$(BUILD)/tests/test_reqjson: src/text.c
$(BUILD)/tests/test_scope: src/text.c
$(BUILD)/tests/test_render_user: src/render.c
$(BUILD)/tests/test_apikey: src/token.c src/privfile.c src/text.c src/log.c src/throttle.c
$(BUILD)/tests/test_throttle: src/log.c
$(BUILD)/tests/test_keyopts: src/reqjson.c src/text.c src/scope.c src/pgarray.c
$(BUILD)/tests/test_usage: src/log.c

run: deps build
	scripts/stack run

start: deps build
	scripts/stack start

stop:
	scripts/stack stop

status:
	scripts/stack status

unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

integration: build
	node --test tests/integration/

# Replays every fuzz seed and saved crash input (seconds); `make fuzz` fuzzes
# each target for FUZZ_TIME seconds (60), `fuzz-short` for 10 (CI).
fuzz-regress:
	tests/fuzz/run
fuzz-short:
	tests/fuzz/run --time 10
fuzz: deps
	tests/fuzz/run --time $(or $(FUZZ_TIME),60)

# The Jellyfin SDKs and integrations' own requests, legacy on and off
# (`compat-docs` also regenerates docs/compatibility.md from the run).
compat: build
	tests/compat/run
compat-docs: build
	tests/compat/run --docs

# The admin page in Debian's chromium.
browser: build
	tests/browser/run

# Offline checks of the deployment files: Kubernetes manifests against the
# schema (npm kubernetes-models), `docker compose config` (skipped with a
# message when there is no client), and that both agree on ports, env, probes.
deploy-check:
	cd deploy/validate && npm ci --no-audit --no-fund --silent && node validate.mjs

# The Dockerfile, docker-compose.yml and the Kubernetes nginx config run for
# real in Docker (dockerd started if none runs, a debootstrap base image kept
# between runs, everything else removed): tests/containers/run; the
# Kubernetes manifests under podman; the Debian package (make deb) installed
# with apt-get in a clean Debian machine with systemd: deb-install.  Root only.
test-containers: deps
	tests/containers/run
	tests/containers/podman-kube
	tests/containers/deb-install

# The benchmark: its own stack on free ports, baselines measured in the same
# run, a table in bench/results/latest.md.  Minutes; never part of make test.
bench: deps build
	bench/run

# Every test once, against the binary in $(BUILD).
suite: unit fuzz-regress integration compat browser deploy-check

# What CI runs: the suite, the suite again under the sanitizers, a short
# fuzzing pass, and the container tests (last: they start dockerd, about
# 1.5 min, 2.5 min with a new base image).
test: deps
	$(MAKE) suite
	$(MAKE) asan
	$(MAKE) fuzz-short
	$(MAKE) test-containers

check: test

# The suite under AddressSanitizer and UndefinedBehaviorSanitizer.  A report
# aborts the worker (nginx then answers 503: a test fails) and is searched
# for in the logs by the integration harness.
asan:
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	$(MAKE) BUILD=build/asan SANITIZE="-fsanitize=address,undefined -fno-omit-frame-pointer" \
		CFLAGS="-O1 -g" KEYFIN_BIN=$(CURDIR)/build/asan/keyfin unit integration compat

# The integration suite with every keyfin process under valgrind's memcheck;
# fails on any error or leak it reports.  Its own build (-O1, and Argon2 at
# 1 pass / 64 KiB: KEYFIN_CHEAP_PWHASH in src/account.c) in build/memcheck.
valgrind: deps
	$(MAKE) BUILD=build/memcheck CFLAGS="-O1 -g -DKEYFIN_CHEAP_PWHASH" build
	scripts/valgrind-keyfin --reset
	KEYFIN_BIN=$(CURDIR)/scripts/valgrind-keyfin KEYFIN_TEST_TIMEOUT_MS=120000 \
		node --test --test-concurrency=1 tests/integration/; \
	rc=$$?; scripts/valgrind-keyfin --check || rc=1; exit $$rc

clean:
	rm -rf build

-include $(DEPS)
