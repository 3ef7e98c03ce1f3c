/* bench/beats_fcheck — cross-check of bench/beats_score.py with the eval module's momu_beat_fmeasure
 * (include/momu/eval.h): F at the annotated tempo, ±70 ms, one-to-one.
 *   beats_fcheck BPM OFFSET N_BEATS EST_FILE   -> prints F */
#include <stdio.h>
#include <stdlib.h>

#include "momu/eval.h"

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: beats_fcheck BPM OFFSET N_BEATS EST_FILE\n"); return 2; }
    double bpm = atof(argv[1]), off = atof(argv[2]);
    size_t nr = (size_t)atol(argv[3]), ne = 0, cap = 1024;
    FILE *f = fopen(argv[4], "r");
    double *ref = malloc(nr * sizeof(double)), *est = malloc(cap * sizeof(double)), t;
    if (!f || !ref || !est) { fprintf(stderr, "beats_fcheck: cannot read %s\n", argv[4]); return 1; }
    for (size_t k = 0; k < nr; k++) ref[k] = off + (double)k * 60.0 / bpm;
    while (fscanf(f, "%lf", &t) == 1) {
        if (ne == cap && !(est = realloc(est, (cap *= 2) * sizeof(double)))) return 1;
        est[ne++] = t;
    }
    fclose(f);
    printf("%.4f\n", momu_beat_fmeasure(ref, nr, est, ne, MOMU_BEAT_FMEASURE_TOL_S, NULL, NULL));
    free(ref); free(est);
    return 0;
}
