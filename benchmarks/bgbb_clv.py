"""BG/BB CLV (discounted expected residual transactions) against lifetimes.

lifetimes' BetaGeoBetaBinomFitter has no CLV or DERT; the way to get a discounted value from it
is the sum of discounted increments of ``conditional_expected_number_of_purchases_up_to_time``
over the horizon (one call per future opportunity). This script simulates a BG/BB customer base
(the donations estimates of Fader, Hardie & Shang 2010 as true parameters; cohorts observed for
6 to 26 opportunities), fits crmlab's model once, and times:

1. a 10-opportunity DERT at 10% per opportunity: crmlab ``dert(horizon=10)`` vs lifetimes' ten
   calls (same parameters in both); the outputs must agree;
2. crmlab's whole-lifetime DERT (eq. 14, hypergeometric closed form), which lifetimes lacks;
3. crmlab's CLV with 95% delta-method intervals in a fresh subprocess, with its peak RSS.

Usage: ``.venv/bin/python benchmarks/bgbb_clv.py [--n N]`` (default 1,000,000 customers).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import warnings

import numpy as np
import pandas as pd

warnings.simplefilter("ignore")

TRUTH = dict(alpha=1.204, beta=0.750, gamma=0.657, delta=2.783)  # FHS (2010), Table 2


def simulate(n_customers: int, seed: int = 3) -> pd.DataFrame:
    """x, t_x and n for a BG/BB population: at opportunity t a customer is alive with
    probability (1 − θ)^t and, while alive, buys with probability p (trial by trial)."""
    rng = np.random.default_rng(seed)
    p = rng.beta(TRUTH["alpha"], TRUTH["beta"], n_customers)
    th = rng.beta(TRUTH["gamma"], TRUTH["delta"], n_customers)
    n = rng.integers(6, 27, n_customers)
    alive_for = np.minimum(rng.geometric(th) - 1, n)  # opportunities 1..alive_for while alive
    x = np.zeros(n_customers, int)
    tx = np.zeros(n_customers, int)
    t = np.arange(1, 27)
    for a in range(0, n_customers, 100_000):
        sl = slice(a, a + 100_000)
        buy = (rng.random((len(p[sl]), 26)) < p[sl, None]) & (t[None, :] <= alive_for[sl, None])
        x[sl] = buy.sum(axis=1)
        tx[sl] = np.where(x[sl] > 0, 26 - np.argmax(buy[:, ::-1], axis=1), 0)
    return pd.DataFrame({"frequency": x, "recency": tx, "n_periods": n})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    args = ap.parse_args()
    import crmlab.clv as clv
    from lifetimes import BetaGeoBetaBinomFitter

    data = simulate(args.n)
    data.attrs["time_unit"] = "opportunity"
    t0 = time.perf_counter()
    m = clv.fit("bgbb", data)
    print(f"BG/BB on {args.n:,} customers: fit {time.perf_counter() - t0:.2f}s  {m}")
    rate, H = 0.10, 10

    t0 = time.perf_counter()
    ours = m.dert(rate, horizon=H, rate_unit="opportunity").to_numpy()
    t_ours = time.perf_counter() - t0

    lf = BetaGeoBetaBinomFitter()
    lf.params_ = m.params_.copy()
    x, tx, n = (data[c].to_numpy() for c in ("frequency", "recency", "n_periods"))
    t0 = time.perf_counter()
    prev = np.zeros(len(x))
    theirs = np.zeros(len(x))
    for s in range(1, H + 1):
        cur = np.asarray(lf.conditional_expected_number_of_purchases_up_to_time(s, x, tx, n), float)
        theirs += (cur - prev) / (1 + rate) ** s
        prev = cur
    t_lf = time.perf_counter() - t0
    err = np.max(np.abs(ours - theirs) / theirs)
    print(f"  DERT over {H} opportunities: crmlab {t_ours:.2f}s, lifetimes ({H} calls) {t_lf:.2f}s, "
          f"ratio {t_lf / t_ours:.1f}x; max relative difference {err:.1e}")

    t0 = time.perf_counter()
    m.dert(rate, rate_unit="opportunity")
    print(f"  whole-lifetime DERT (2F1 closed form): crmlab {time.perf_counter() - t0:.2f}s (lifetimes: none)")

    code = (
        "import time, resource, sys; sys.path.insert(0, 'benchmarks');"
        "import bgbb_clv as b, crmlab.clv as clv;"
        f"d = b.simulate({args.n}); d.attrs['time_unit'] = 'opportunity';"
        "m = clv.fit('bgbb', d); t = time.perf_counter();"
        "v = m.clv(25.0, float('inf'), 0.1, rate_unit='opportunity', interval=True);"
        "t = time.perf_counter() - t;"
        "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    t_int, rss = map(float, out.stdout.split())
    print(f"  CLV with 95% intervals (delta method, chunked): {t_int:.2f}s; peak RSS of the whole "
          f"process (simulate + fit + CLV) {rss:.0f} MiB")


if __name__ == "__main__":
    main()
