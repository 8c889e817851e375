# Headframe top-level build.
#
# Conventions (add files, not rules):
#   network/*.c          -> $(B)/libnetwork.a
#   utils/*.c            -> $(B)/libutils.a
#   stratum/*.c          -> $(B)/libstratum.a   (the Stratum V1 server library)
#   <module>/*.c         -> $(B)/bin/<module>      for every module folder with a main.c
#   tools/<tool>/*.c     -> $(B)/bin/<tool>
#   tests/unit/test_*.c  -> $(B)/tests/test_*     (cmocka, one binary per file)
#   bench/bench_*.c      -> $(B)/bench/bench_*
#   tests/fuzz/fuzz_*.c  -> build-fuzz/fuzz/fuzz_*  (libFuzzer, clang; make fuzz)
# BUILD=release (default, build/) or BUILD=asan (build-asan/, ASan+UBSan);
# BUILD=fuzz (build-fuzz/) is the clang libFuzzer+ASan+UBSan build of the
# libraries and the fuzz targets only.

BUILD   ?= release
BUILDDIR ?=
CC      ?= cc
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
ifeq ($(BUILD),asan)
B       := $(or $(BUILDDIR),build-asan)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=address,undefined
else ifeq ($(BUILD),fuzz)
override CC := $(FUZZ_CC)
B       := $(or $(BUILDDIR),build-fuzz)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
           -fno-sanitize-recover=undefined
LDSAN   := -fsanitize=fuzzer,address,undefined
else
B       := $(or $(BUILDDIR),build)
OPT     := -O2 -g
LDSAN   :=
endif

CFLAGS  := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter \
           -Wshadow -Wstrict-prototypes -fPIC -I. -MMD -MP $(OPT) $(EXTRA_CFLAGS)
LDLIBS  := -lev -ljansson -lhiredis -lcurl -lssl -lcrypto -lhttp_parser -lpthread -lm
LDFLAGS := $(LDSAN) $(EXTRA_LDFLAGS)

MODULES := $(patsubst %/main.c,%,$(wildcard */main.c))
TOOLS   := $(patsubst tools/%/main.c,%,$(wildcard tools/*/main.c))

NW_SRC  := $(wildcard network/*.c)
UT_SRC  := $(wildcard utils/*.c)
ST_SRC  := $(wildcard stratum/*.c)
NW_OBJ  := $(NW_SRC:%.c=$(B)/obj/%.o)
UT_OBJ  := $(UT_SRC:%.c=$(B)/obj/%.o)
ST_OBJ  := $(ST_SRC:%.c=$(B)/obj/%.o)
LIBS    := $(B)/libstratum.a $(B)/libutils.a $(B)/libnetwork.a

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
BENCH_SRC  := $(wildcard bench/bench_*.c)
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
BINS       := $(MODULES:%=$(B)/bin/%) $(TOOLS:%=$(B)/bin/%)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)

.PHONY: all build depends test test-unit test-e2e test-asan run stop bench clean \
        fuzz fuzz-build fuzz-smoke fuzz-bins
all: build
build: $(BINS) $(UNIT_BINS) $(BENCH_BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libnetwork.a: $(NW_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(B)/libutils.a: $(UT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^
$(B)/libstratum.a: $(ST_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# One binary per module folder: every .c file of the folder.
define module_rule
$(B)/bin/$(notdir $(1)): $(patsubst %.c,$(B)/obj/%.o,$(wildcard $(1)/*.c)) $(LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach m,$(MODULES),$(eval $(call module_rule,$(m))))
$(foreach t,$(TOOLS),$(eval $(call module_rule,tools/$(t))))

# Unit tests may link a module's non-main files: a test named
# test_gw_*.c links gateway/*.c except main.c, test_jm_* jobmaster, and so on.
# Library tests (test_st_* for stratum/, test_ut_*, test_nw_*) link nothing
# module-specific: only $(LIBS) (stratum/ must never need a module's file).
modobjs = $(patsubst %.c,$(B)/obj/%.o,$(filter-out $(1)/main.c,$(wildcard $(1)/*.c)))
testmod = $(strip \
  $(if $(filter test_gw_%,$(1)),$(call modobjs,gateway)) \
  $(if $(filter test_jm_%,$(1)),$(call modobjs,jobmaster)) \
  $(if $(filter test_ma_%,$(1)),$(call modobjs,mineragent)) \
  $(if $(filter test_mr_%,$(1)),$(call modobjs,metarelay)) \
  $(if $(filter test_mw_%,$(1)),$(call modobjs,metawriter)) \
  $(if $(filter test_sa_%,$(1)),$(call modobjs,statsapi)) \
  $(if $(filter test_hfm_%,$(1)),$(call modobjs,tools/hfminer)) \
  $(if $(filter test_ac_%,$(1)),$(call modobjs,alertcenter)) \
  $(if $(filter test_bp_%,$(1)),$(call modobjs,bitpeer)) \
  $(if $(filter test_pb_%,$(1)),$(call modobjs,poolbench)) \
  $(if $(filter test_bm_%,$(1)),$(call modobjs,blockmaster)))
$(B)/tests/test_st_%: $(B)/obj/tests/unit/test_st_%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
.SECONDEXPANSION:
$(B)/tests/%: $(B)/obj/tests/unit/%.o $$(call testmod,$$*) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka
$(B)/bench/%: $(B)/obj/bench/%.o $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# Fuzz targets (BUILD=fuzz): $(LIBS), and fuzz_jm_<x> also jobmaster/jm_<x>.c.
fuzzmod = $(if $(filter fuzz_jm_%,$(1)),$(patsubst fuzz_jm_%,$(B)/obj/jobmaster/jm_%.o,$(1)))
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $$(call fuzzmod,$$*) $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
fuzz-bins: $(FUZZ_BINS)
.SECONDARY: $(FUZZ_BINS:$(B)/fuzz/%=$(B)/obj/tests/fuzz/%.o)

depends:
	@./depends/install.sh

# make test: install what is missing, build release and ASan/UBSan, run the
# unit tests under both builds and the end-to-end tests against the ASan build.
test: depends
	$(MAKE) build BUILD=release
	$(MAKE) build BUILD=asan
	$(MAKE) fuzz-build
	./tests/run.sh

test-unit: build
	./tests/run.sh --unit-only --build $(B)

test-asan:
	$(MAKE) build BUILD=asan
	./tests/run.sh --build build-asan

run: depends
	$(MAKE) build BUILD=release
	./deploy/run-local.sh start

stop:
	./deploy/run-local.sh stop

bench: depends
	$(MAKE) build BUILD=release
	./bench/run.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c) with clang into build-fuzz/.
# make fuzz: each for FUZZ_SECONDS (60) on a scratch copy of its corpus,
# with execs/s, total execs and coverage per target; make fuzz-smoke: 5 s
# each, fails on a crash (tests/run.sh runs the same).
fuzz-build:
	$(MAKE) fuzz-bins BUILD=fuzz

fuzz: fuzz-build
	./tests/fuzz/run.sh -t $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	./tests/fuzz/run.sh -t 5

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(B) -name '*.d' 2>/dev/null)
