# momu — plain Makefile; `make` works with zero options.
#   make              build build/libmomu.a and ./momu
#   make test         build and run the test suite (ends with "N passed, N failed")
#   make SAN=1 test   the same under AddressSanitizer + UBSan (objects in build-san/)
#   make NO_OMP=1     without OpenMP      make PORTABLE=1   without -march=native
#   make DEBUG=1      -O0 -g
CC      ?= cc
BUILD   ?= build
CFLAGS_BASE = -std=c11 -Wall -Wextra -Wshadow -Iinclude -D_POSIX_C_SOURCE=200809L -MMD -MP
OPT     = -O3
ifeq ($(DEBUG),1)
  OPT = -O0 -g
endif
ifeq ($(SAN),1)
  BUILD = build-san
  OPT = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDSAN = -fsanitize=address,undefined
endif
ifneq ($(PORTABLE),1)
  ifeq ($(shell $(CC) -march=native -E -x c /dev/null >/dev/null 2>&1 && echo ok),ok)
    OPT += -march=native
  endif
endif
ifneq ($(NO_OMP),1)
  OMPFLAG = -fopenmp
endif
PKGS    = sndfile samplerate fftw3f
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
BLAS_CFLAGS := -DMOMU_USE_BLAS -I/usr/include/x86_64-linux-gnu/openblas-openmp
BLAS_LIBS   := -lopenblas
CFLAGS  = $(CFLAGS_BASE) $(OPT) $(OMPFLAG) $(PKG_CFLAGS) $(BLAS_CFLAGS) $(EXTRA_CFLAGS)
LDLIBS  = $(PKG_LIBS) $(BLAS_LIBS) -lm $(OMPFLAG) $(LDSAN)

LIB_SRC  = $(wildcard src/util/*.c src/audio/*.c src/motion/*.c src/nn/*.c src/model/*.c \
                      src/diffusion/*.c src/data/*.c src/eval/*.c src/render/*.c)
CLI_SRC  = $(wildcard src/cli/*.c)
TEST_SRC = $(wildcard tests/test_*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
LIB      = $(BUILD)/libmomu.a

.PHONY: all test clean
ifeq ($(SAN),1)
all: $(BUILD)/momu
else
all: momu
momu: $(BUILD)/momu
	cp $< $@
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/momu: $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

# tests/fixtures_models.c: fixtures shared by the tests, linked into each (an explicit rule: the pattern below
# would match its object too)
TEST_FIX = $(BUILD)/tests/fixtures_models.o
$(TEST_FIX): tests/fixtures_models.c tests/fixtures_models.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%: tests/%.c tests/test.h tests/fixtures_models.h $(TEST_FIX) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TEST_FIX) $(LIB) $(LDLIBS)

test: $(TEST_BIN) $(BUILD)/momu
	@MOMU_BIN=$(BUILD)/momu sh tests/run.sh $(TEST_BIN)

clean:
	rm -rf build build-san momu

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_FIX:.o=.d)
