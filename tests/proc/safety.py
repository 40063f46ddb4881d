#!/usr/bin/env python3
"""The safety invariants over a recording of evgroup-sim --record (every
100 ms: what the CT kit measures per phase, and every connector's offer
and draw), used by the end-to-end scenarios:

- no offer outside {0} or [6 A, the connector's max];
- no phase over the site limit for longer than the master needs to see
  it (one meter period and one poll) plus the cars' 5 s to follow a lower
  offer (IEC 61851-1).

As a program: safety.py RECORDING LIMIT_A [WINDOW_S] prints the figures."""

import sys

MIN_OFFER_DA = 60                # IEC 61851-1: 6 A, the least a pilot offers
CAR_RESPONSE_S = 5.0             # IEC 61851-1 Annex A: a car follows in 5 s


def load(path):
    maxes, rows = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("# max"):
                maxes = [int(x) for x in line.strip().split(",")[1:]]
                continue
            if line.startswith("#") or not line.strip():
                continue
            v = [int(x) for x in line.strip().split(",")]
            if len(v) != 4 + 2 * len(maxes):
                continue        # the last line, cut by the stop
            rows.append(v)
    return maxes, rows


def check(path, limit_a, window_s=CAR_RESPONSE_S + 1.5):
    """Returns a dict of figures and a list of violations."""
    maxes, rows = load(path)
    bad = []
    limit = int(round(limit_a * 10))
    longest = [0.0, 0.0, 0.0]
    peak = [0, 0, 0]
    since = [None, None, None]
    for v in rows:
        t = v[0]
        for p in range(3):
            peak[p] = max(peak[p], v[1 + p])
            if v[1 + p] > limit:
                if since[p] is None:
                    since[p] = t
                longest[p] = max(longest[p], (t - since[p]) / 1000.0)
            else:
                since[p] = None
        for i, mx in enumerate(maxes):
            offer = v[4 + 2 * i]
            if offer != 0 and not MIN_OFFER_DA <= offer <= mx:
                bad.append("t=%d connector %d offers %.1f A (0 or 6.0-%.1f)"
                           % (t, i + 1, offer / 10, mx / 10))
    for p in range(3):
        if longest[p] > window_s:
            bad.append("L%d over %.1f A for %.1f s (window %.1f s)" % (
                p + 1, limit_a, longest[p], window_s))
    figures = dict(samples=len(rows), connectors=len(maxes),
                   peak_a=[x / 10 for x in peak],
                   longest_over_s=longest,
                   offers_nonzero=sum(1 for v in rows for i in
                                      range(len(maxes)) if v[4 + 2 * i]))
    return figures, bad[:20]


if __name__ == "__main__":
    fig, bad = check(sys.argv[1], float(sys.argv[2]),
                     float(sys.argv[3]) if len(sys.argv) > 3 else
                     CAR_RESPONSE_S + 1.5)
    print(fig)
    for b in bad:
        print("VIOLATION:", b)
    sys.exit(1 if bad else 0)
