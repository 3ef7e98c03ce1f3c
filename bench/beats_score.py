#!/usr/bin/python3
"""Beat F-measure for bench/beats_fof.sh.

usage: beats_score.py REF_BPM REF_OFFSET N_BEATS EST_FILE [WARP]
WARP (optional) describes how the audio was re-timed, as "T1:R1,T2:R2,...": from original time Ti on, the
audio was sped up by the factor Ri (ffmpeg atempo=Ri) until the next Tj; reference beats are mapped the same way.
prints: "F_annotated F_any P R" where F_any is the best F over the reference at the annotated tempo,
at double tempo (midpoints inserted) and at half tempo (either phase).

Scoring follows the MIR convention (Dixon 2007 / mir_eval.beat.f_measure): +-70 ms window, one-to-one
matching (each reference beat matches at most one estimate and vice versa); precision = matches/estimates,
recall = matches/references. On a line, greedy two-pointer matching of sorted sequences is a maximum
matching, so no bipartite solver is needed. Unlike mir_eval we do not drop the first 5 s (the brief scores
every beat).
"""
import sys

WIN = 0.070


def n_matches(ref, est, win=WIN):
    i = j = m = 0
    while i < len(ref) and j < len(est):
        d = est[j] - ref[i]
        if abs(d) <= win:
            m += 1; i += 1; j += 1
        elif d < 0:
            j += 1
        else:
            i += 1
    return m


def fmeasure(ref, est):
    if not ref or not est:
        return 0.0, 0.0, 0.0
    m = n_matches(ref, est)
    p, r = m / len(est), m / len(ref)
    return (2 * p * r / (p + r) if m else 0.0), p, r


def warp_fn(spec):
    """Original time -> re-timed time for a piecewise-constant speed-up (see the usage)."""
    pts = sorted((float(a), float(b)) for a, b in (x.split(':') for x in spec.split(',')))
    def f(t):
        out, prev_t, rate = 0.0, 0.0, 1.0
        for ti, ri in pts:
            if t <= ti:
                break
            out += (ti - prev_t) / rate
            prev_t, rate = ti, ri
        return out + (t - prev_t) / rate
    return f


def main():
    bpm, off, nb, path = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    ref = [off + k * 60.0 / bpm for k in range(nb)]
    if len(sys.argv) > 5:
        w = warp_fn(sys.argv[5])
        ref = [w(t) for t in ref]
    est = sorted(float(l) for l in open(path) if l.strip())
    f, p, r = fmeasure(ref, est)
    dbl = []
    for a, b in zip(ref, ref[1:]):
        dbl += [a, 0.5 * (a + b)]
    dbl.append(ref[-1])
    cands = [f, fmeasure(dbl, est)[0], fmeasure(ref[0::2], est)[0], fmeasure(ref[1::2], est)[0]]
    print("%.4f %.4f %.4f %.4f" % (f, max(cands), p, r))


if __name__ == "__main__":
    main()
