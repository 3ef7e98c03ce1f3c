# bench/nn.mk — the network benchmarks (run by hand, not part of `make test`):
#   make -C bench -f nn.mk      -> bench/out/bench_nn, bench/out/sgemm_ceiling   (bench/out/ is git-ignored)
#   bench/run.sh                builds, then runs momu and the PyTorch peer and prints the comparison
# Builds its own archive of src/util and src/nn, so a half-finished module elsewhere cannot block it.
CC     ?= cc
ROOT    = ..
OUT     = out
OBJDIR  = out/obj
CFLAGS  = -std=c11 -Wall -Wextra -Wshadow -I$(ROOT)/include -D_POSIX_C_SOURCE=200809L -O3 -march=native -fopenmp \
          -DMOMU_USE_BLAS -I/usr/include/x86_64-linux-gnu/openblas-openmp
LDLIBS  = -lopenblas -lm -fopenmp
SRC     = $(wildcard $(ROOT)/src/util/*.c $(ROOT)/src/nn/*.c)
OBJ     = $(patsubst $(ROOT)/src/%.c,$(OBJDIR)/%.o,$(SRC))

all: $(OUT)/bench_nn $(OUT)/sgemm_ceiling

$(OBJDIR)/%.o: $(ROOT)/src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# an archive, so only the objects the bench references are linked
$(OBJDIR)/libbench.a: $(OBJ)
	@rm -f $@
	ar rcs $@ $^

$(OUT)/bench_nn: bench_nn.c $(OBJDIR)/libbench.a
	$(CC) $(CFLAGS) -o $@ bench_nn.c $(OBJDIR)/libbench.a $(LDLIBS)

$(OUT)/sgemm_ceiling: sgemm_ceiling.c
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -o $@ sgemm_ceiling.c $(LDLIBS)

clean:
	rm -rf $(OBJDIR) $(OUT)/bench_nn $(OUT)/sgemm_ceiling

.PHONY: all clean
-include $(OBJ:.o=.d)
