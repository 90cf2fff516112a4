"""CLV model layer against lifetimes: fitting speed, predictions, intervals and memory.

Runs crmlab and lifetimes side by side on the same simulated data (crmlab.datasets.
simulate_retail: BG/NBD purchasing + Gamma-Gamma spend, timestamps to the second, summarised
with daily merging) and prints times and ratios:

1. BG/NBD on ``--n-bg`` customers (default 1M): crmlab.clv.fit vs BetaGeoFitter; same LL.
2. Pareto/NBD on ``--n-pnbd`` customers (default 100k): crmlab vs ParetoNBDFitter.
3. Predictions for the 1M customers (monthly summary): conditional expected purchases (12
   months), P(alive) and a 12-month CLV with Gamma-Gamma spend, against lifetimes' three
   calls; outputs must agree. Then the same three with 95% intervals in a fresh subprocess,
   whose peak RSS is reported.
4. ``--table``: the six benchmark logs (BG/NBD, MBG/NBD, Pareto/NBD, BG/CNBD-k, MBG/CNBD-k):
   holdout MAE, RMSE, bias, and the k found.
5. ``--regularity``: the whole k search of MBG/CNBD-k and BG/CNBD-k on donations (21,166
   customers) against the MBG/NBD fit on the same summary, side by side (median of 5 runs each);
   target: at most 5x.

Usage: ``.venv/bin/python benchmarks/fit.py [--n-bg N] [--n-pnbd N] [--table] [--regularity]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

warnings.simplefilter("ignore")

CACHE = Path(tempfile.gettempdir()) / "crmlab-bench-fit"


def summaries(n, unit):
    """Calibration summary of a simulated log with n customers (cached as parquet)."""
    import pandas as pd

    import crmlab
    from crmlab.datasets import simulate_retail

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"sim-{n}-{unit}.parquet"
    if path.exists():
        s = pd.read_parquet(path)
        s.attrs["time_unit"] = unit
        return s
    tx = simulate_retail(n, seed=7)
    s = crmlab.summarise(tx, observation_end=tx.meta["calibration_end"], time_unit=unit, aggregate="D")
    s = s[["frequency", "recency", "T", "monetary_value"]].copy()
    s.attrs = {}
    s.to_parquet(path)
    s.attrs["time_unit"] = unit
    return s


def timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t


def arrays(s):
    return s["frequency"].to_numpy(), s["recency"].to_numpy(), s["T"].to_numpy()


def bench_bgnbd(n):
    from lifetimes import BetaGeoFitter

    import crmlab.clv as clv

    s = summaries(n, "W")
    ours, t_ours = timed(clv.fit, "bgnbd", s)
    lf, t_lf = timed(BetaGeoFitter().fit, *arrays(s))
    x, tx, T = arrays(s)
    ll_lf = -BetaGeoFitter._negative_log_likelihood(np.log(lf.params_.to_numpy()), x, tx, T,
                                                    np.ones(len(s)), 0.0) * len(s)
    rel = abs(ours.log_likelihood_ - ll_lf) / abs(ll_lf)
    print(f"BG/NBD n={n:,}: crmlab {t_ours:.2f}s  lifetimes {t_lf:.2f}s  ratio {t_lf / t_ours:.1f}x")
    print(f"  LL crmlab {ours.log_likelihood_:.4f}  lifetimes {ll_lf:.4f}  rel diff {rel:.1e}")
    print(f"  params crmlab {ours.params_.round(5).to_dict()}")
    print(f"  params lifetimes {lf.params_.round(5).to_dict()}")
    return dict(n=n, crmlab_s=t_ours, lifetimes_s=t_lf, ratio=t_lf / t_ours, ll_rel_diff=rel)


def bench_pareto(n):
    from lifetimes import ParetoNBDFitter

    import crmlab.clv as clv

    s = summaries(n, "W")
    ours, t_ours = timed(clv.fit, "paretonbd", s)
    lf, t_lf = timed(ParetoNBDFitter().fit, *arrays(s))
    m = clv.ParetoNBD()
    m.time_unit_ = "W"
    d = m._prepare(s)
    ll_lf = float(d["w"] @ m._loglik(lf.params_[list(m.param_names)].to_numpy(), d, grad=False)[0])
    print(f"Pareto/NBD n={n:,}: crmlab {t_ours:.2f}s  lifetimes {t_lf:.2f}s  ratio {t_lf / t_ours:.1f}x")
    print(f"  LL crmlab {ours.log_likelihood_:.4f}  LL at lifetimes' params {ll_lf:.4f}")
    print(f"  params crmlab {ours.params_.round(5).to_dict()}")
    print(f"  params lifetimes {lf.params_.round(5).to_dict()}")
    return dict(n=n, crmlab_s=t_ours, lifetimes_s=t_lf, ratio=t_lf / t_ours,
                ll_crmlab=ours.log_likelihood_, ll_lifetimes_params=ll_lf)


def bench_predictions(n):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    import crmlab.clv as clv

    s = summaries(n, "M")
    bg = clv.fit("bgnbd", s)
    gg = clv.fit("gammagamma", s)
    x, tx, T = arrays(s)
    mv = s["monetary_value"]

    def ours():
        return (bg.conditional_expected_purchases(12, s), bg.p_alive(s),
                bg.clv(gg, 12, 0.01, s, rate_unit="M"))

    lbg = BetaGeoFitter()
    lbg.params_ = bg.params_.copy()
    lbg.predict = lbg.conditional_expected_number_of_purchases_up_to_time  # set by lifetimes' fit
    lgg = GammaGammaFitter()
    lgg.params_ = gg.params_.copy()

    def theirs():
        return (lbg.conditional_expected_number_of_purchases_up_to_time(12, x, tx, T),
                lbg.conditional_probability_alive(x, tx, T),
                lgg.customer_lifetime_value(lbg, s["frequency"], s["recency"], s["T"], mv, time=12,
                                            discount_rate=0.01, freq="M"))

    o, t_o = timed(ours)
    th, t_t = timed(theirs)
    diffs = [float(np.max(np.abs(np.asarray(a) - np.asarray(b)) / np.maximum(np.abs(np.asarray(b)), 1e-12)))
             for a, b in zip(o, th)]
    print(f"Predictions n={n:,} (cond. expected 12 months, P(alive), CLV 12 months): crmlab {t_o:.2f}s"
          f"  lifetimes {t_t:.2f}s  ratio {t_t / t_o:.1f}x  max rel diff {max(diffs):.1e}")
    # intervals in a fresh process, to measure its peak RSS alone
    code = (
        "import resource, time, warnings; warnings.simplefilter('ignore');"
        "import pandas as pd, crmlab.clv as clv;"
        f"s = pd.read_parquet({str(CACHE / f'sim-{n}-M.parquet')!r}); s.attrs['time_unit'] = 'M';"
        "bg = clv.fit('bgnbd', s); gg = clv.fit('gammagamma', s); t = time.perf_counter();"
        "a = bg.conditional_expected_purchases(12, s, interval=True); b = bg.p_alive(s, interval=True);"
        "c = bg.clv(gg, 12, 0.01, s, rate_unit='M', interval=True); t = time.perf_counter() - t;"
        "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    t_int, rss = map(float, out.stdout.split())
    print(f"  with 95% intervals (delta method, chunked): {t_int:.2f}s, peak RSS of the process {rss:.0f} MiB")
    return dict(n=n, crmlab_s=t_o, lifetimes_s=t_t, ratio=t_t / t_o, max_rel_diff=max(diffs),
                intervals_s=t_int, peak_rss_mib=rss)


def regularity_summary(name):
    """The study's summary of benchmark log ``name`` with ``litt`` (summarise(regularity=True))."""
    import crmlab
    from crmlab.datasets import load_benchmark

    tx = load_benchmark(name)
    return crmlab.summarise(tx, observation_end=tx.meta["observation_end"],
                            calibration_end=tx.meta["calibration_end"], aggregate="D", time_unit="W",
                            regularity=True)


def table():
    import crmlab.clv as clv

    rows = []
    for name in ("cdnow", "grocery", "m18", "donations", "office", "dietary"):
        s = regularity_summary(name)
        ms = {k: clv.fit(k, s) for k in ("bgnbd", "mbgnbd", "paretonbd", "bgcnbdk", "mbgcnbdk")}
        rep = clv.holdout_report(ms, s)
        for k, row in rep.iterrows():
            kk = int(ms[k].k_) if hasattr(ms[k], "k_") else ""
            rows.append((name, k, kk, row["log-likelihood"], row["MAE"], row["RMSE"], row["aggregate bias"],
                         row["note"]))
    print("| log | model | k | LL | MAE | RMSE | bias | note |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.2f} | {r[4]:.4f} | {r[5]:.4f} | {r[6]:+.4f} | {r[7]} |")


def bench_regularity(runs=5):
    """The k search (k = 1, 2, ... until the LL falls) against one MBG/NBD fit, donations."""
    import crmlab.clv as clv

    s = regularity_summary("donations")
    times = {key: [] for key in ("mbgnbd", "mbgcnbdk", "bgcnbdk")}
    fits = {}
    for _ in range(runs):  # interleaved, so that machine load hits all three alike
        for key in times:
            fits[key], t = timed(clv.fit, key, s)
            times[key].append(t)
    med = {k: float(np.median(v)) for k, v in times.items()}
    print(f"donations n={len(s):,}: MBG/NBD fit {med['mbgnbd']:.2f}s (median of {runs})")
    for key in ("mbgcnbdk", "bgcnbdk"):
        m = fits[key]
        print(f"  {m.name} k search {med[key]:.2f}s = {med[key] / med['mbgnbd']:.1f}x the MBG/NBD fit; "
              f"k = {m.k_}, LL {m.log_likelihood_:.4f}; LL by k {m.k_search_['log_likelihood'].round(2).to_dict()}")
    return {k: dict(median_s=v, ratio=v / med["mbgnbd"]) for k, v in med.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-bg", type=int, default=1_000_000)
    ap.add_argument("--n-pnbd", type=int, default=100_000)
    ap.add_argument("--table", action="store_true", help="only print the six-log holdout table")
    ap.add_argument("--regularity", action="store_true",
                    help="only time the CNBD-k k search against MBG/NBD on donations")
    args = ap.parse_args()
    if args.table:
        table()
        return
    if args.regularity:
        print(json.dumps(bench_regularity(), indent=1))
        return
    res = {"bgnbd": bench_bgnbd(args.n_bg), "paretonbd": bench_pareto(args.n_pnbd),
           "predictions": bench_predictions(args.n_bg)}
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
