# tranche — build, test, bench, demo.
#   make            build build/tranche
#   make test       install dependencies, build, run every test, then again under ASan+UBSan
#   make check      run the suite once (no dependency install, no sanitizers)
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer only
#   make bench      benchmarks, printing figures (BENCH=backfill: bench/bench_backfill.c alone)
#   make demo       install, build and run the main example (stocks) end to end
#   make demo-sales the same with the sales example
#   make deps       install dependencies (Debian packages, DuckDB from npm)

CC ?= cc
BUILD ?= build
SAN ?=
OPT ?= -O2 -g

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla -Wno-format-nonliteral
DUCKDB := third_party/duckdb
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(WARN) -Iinclude -Isrc -isystem $(DUCKDB)/include \
	-pthread $(SAN) $(CFLAGS)
# Graphviz lays out the lineage in-process (src/server/api_lineage.c) with its dot layout and
# core (SVG) plugins linked in, rather than loaded from its plugin directory at run time: no
# dlopen, no text-layout plugin pulling in pango and fontconfig.
GV_PLUGIN_DIR := $(or $(shell pkg-config --variable=libdir libgvc 2>/dev/null),/usr/lib/x86_64-linux-gnu)/graphviz
GV_LIBS := -L$(GV_PLUGIN_DIR) -Wl,-rpath,$(GV_PLUGIN_DIR) -lgvplugin_dot_layout -lgvplugin_core \
	-lgvc -lcgraph -lcdt
# DuckDB is found next to the tree ($ORIGIN-relative), so build/ and the clone stay relocatable.
LIBS := -L$(DUCKDB)/lib -lduckdb -Wl,-rpath,'$$ORIGIN/../$(DUCKDB)/lib:$$ORIGIN/../../$(DUCKDB)/lib' \
	-lsqlite3 -lyaml -lcurl -lmicrohttpd $(GV_LIBS) -lm -pthread
LDFLAGS_ALL := $(SAN) $(LDFLAGS)

LIB_SRC := $(sort $(wildcard src/base/*.c src/partitions/*.c src/project/*.c src/storage/*.c \
	src/warehouse/*.c src/exec/*.c src/automation/*.c src/server/*.c))
CLI_SRC := $(sort $(wildcard src/cli/*.c))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# The server's request fuzzer (tests/fuzz/fuzz_api.c) runs with the unit tests (TAP, fixed seed).
FUZZ_BIN := $(BUILD)/tests/test_fuzz_api
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps test check test-asan bench demo demo-sales clean lint
all: $(BUILD)/tranche $(TEST_BIN) $(FUZZ_BIN) lint

$(DUCKDB)/.stamp:
	@scripts/fetch-duckdb.sh

$(BUILD)/obj/%.o: %.c | $(DUCKDB)/.stamp
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

$(BUILD)/libtranche.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# Example projects embedded in the binary, for `tranche init --example NAME`:
# scripts/embed.py writes every file under examples/ as C, except what running one leaves.
EXAMPLE_FILES := $(shell find examples -type f -not -path '*/.tranche/*' -not -name '*.duckdb*' \
	-not -name '*.wal' 2>/dev/null)

$(BUILD)/gen/examples.c: scripts/embed.py $(EXAMPLE_FILES)
	@mkdir -p $(dir $@)
	python3 scripts/embed.py -o $@ examples

$(BUILD)/gen/examples.o: $(BUILD)/gen/examples.c include/tranche/examples.h
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libtranche.a: $(BUILD)/gen/examples.o

# The web UI embedded in the binary, for `tranche serve` (every file under ui/; none is fine).
UI_FILES := $(shell find ui -type f -not -name '.*' 2>/dev/null) $(shell find ui -type d 2>/dev/null)

$(BUILD)/gen/ui.c: scripts/embed_ui.py scripts/embed.py $(UI_FILES)
	@mkdir -p $(dir $@)
	python3 scripts/embed_ui.py -o $@ ui

$(BUILD)/gen/ui.o: $(BUILD)/gen/ui.c src/server/server_int.h
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libtranche.a: $(BUILD)/gen/ui.o

$(BUILD)/tranche: $(CLI_OBJ) $(BUILD)/libtranche.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libtranche.a $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(BUILD)/libtranche.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit -o $@ $< $(BUILD)/libtranche.a $(LIBS) -lcmocka $(LDFLAGS_ALL)

$(BUILD)/tests/test_fuzz_api: tests/fuzz/fuzz_api.c src/server/server_int.h $(BUILD)/libtranche.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libtranche.a $(LIBS) $(LDFLAGS_ALL)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libtranche.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(BUILD)/libtranche.a $(LIBS) $(LDFLAGS_ALL)

# sprintf, strcpy, strcat, gets and friends are banned (STYLE.md): the build fails on them.
lint:
	@! grep -n '#include "base/\|#include "partitions/\|#include "storage/' $(CLI_SRC) \
		|| { echo "the CLI uses only the public API in include/tranche/"; exit 1; }
	@! grep -nE '(^|[^_a-z])(sprintf|vsprintf|strcpy|strcat|gets|strncpy|strncat)\(' $(LIB_SRC) $(CLI_SRC) \
		|| { echo "banned function used: use snprintf, memcpy or tr_buf (docs/development.md)"; exit 1; }

deps:
	@scripts/install-deps.sh

check: all
	@tests/run.sh $(BUILD)

test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run.sh build-asan

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all
	@tests/run.sh $(BUILD) build-asan

BENCH_RUN := $(if $(BENCH),$(BENCH:%=$(BUILD)/bench/bench_%),$(BENCH_BIN))
bench: deps all $(BENCH_RUN)
	@for b in $(BENCH_RUN); do $$b || exit 1; done

demo: deps all
	@scripts/demo.sh $(BUILD) stocks

demo-sales: deps all
	@scripts/demo.sh $(BUILD) sales

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
