"""Benchmark: crmlab.strategy at scale, and its bootstraps against Python loops over resamples.

Cases (each in its own subprocess, so ``ru_maxrss`` is its own peak RSS):

* ``uplift``: :func:`crmlab.datasets.experiment.simulate_campaign` with 1M customers, a
  T-learner (:func:`crmlab.strategy.uplift`, HistGradientBoosting) fitted on half and scored on
  the other half, then :func:`crmlab.strategy.qini`. Time per step and peak RSS.
* ``boot-clv``: a percentile bootstrap interval of the difference in mean CLV
  (treatment − control), 1,000 resamples, 100k customers:
  ``crmlab``: :func:`crmlab.strategy.ab_test` (kind="clv", vectorised chunks);
  ``numpy-loop``: a Python ``for`` loop over resamples with numpy inside (the strongest loop);
  ``pandas-loop``: the usual hand-written loop, ``frame.sample(replace=True)`` +
  ``groupby(treatment).mean()`` per resample.
* ``boot-policy``: the bootstrap of the profit curve of threshold policies (20 thresholds,
  1,000 resamples, 100k customers): ``crmlab``: :func:`crmlab.strategy.policy_profit` (one sort,
  per-slice weighted ``bincount``); ``loop``: a Python loop that resamples the customers and
  recomputes the curve with ``policy_profit(..., n_boot=0)``.

Usage::

    .venv/bin/python benchmarks/strategy.py                    # all cases, full size
    .venv/bin/python benchmarks/strategy.py --uplift-n 200000  # smaller uplift run
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_uplift(n: int) -> dict:
    import crmlab.strategy as S
    from crmlab.datasets.experiment import simulate_campaign

    out = {}
    t0 = time.perf_counter()
    df = simulate_campaign(n, seed=1)
    out["simulate_s"] = time.perf_counter() - t0
    half = n // 2
    train, test = df.iloc[:half], df.iloc[half:].copy()
    t0 = time.perf_counter()
    model = S.uplift(train, treatment="treatment", outcome="response",
                     features=["recency", "frequency", "monetary_value", "age"], seed=0)
    out["fit_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    test["uplift_hat"] = model.predict(test)
    out["predict_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    q = S.qini(test, score="uplift_hat", treatment="treatment", outcome="response")
    out["qini_s"] = time.perf_counter() - t0
    out["qini_coefficient"] = q.qini_coefficient
    out["total_s"] = out["fit_s"] + out["predict_s"] + out["qini_s"]
    return out


def _frame(n: int):
    from crmlab.datasets.experiment import simulate_campaign

    return simulate_campaign(n, seed=2)


def run_boot_clv(contender: str, n: int, n_boot: int) -> dict:
    import numpy as np

    import crmlab.strategy as S

    df = _frame(n)
    t0 = time.perf_counter()
    if contender == "crmlab":
        row = S.ab_test(df, treatment="treatment", outcome="clv_post", kind="clv", n_boot=n_boot, seed=0).iloc[0]
        lo, hi = row.ci_low, row.ci_high
    elif contender == "numpy-loop":
        rng = np.random.default_rng(0)
        y = df["clv_post"].to_numpy()
        t = df["treatment"].to_numpy() == 1
        y1, y0 = y[t], y[~t]
        draws = np.empty(n_boot)
        for b in range(n_boot):
            draws[b] = y1[rng.integers(0, len(y1), len(y1))].mean() - y0[rng.integers(0, len(y0), len(y0))].mean()
        lo, hi = np.quantile(draws, [0.025, 0.975])
    else:  # pandas-loop, stratified by arm like the others
        arms = {k: g for k, g in df.groupby("treatment")}
        draws = np.empty(n_boot)
        for b in range(n_boot):
            means = {k: g.sample(frac=1.0, replace=True, random_state=b)["clv_post"].mean() for k, g in arms.items()}
            draws[b] = means[1] - means[0]
        lo, hi = np.quantile(draws, [0.025, 0.975])
    return {"seconds": time.perf_counter() - t0, "ci_low": float(lo), "ci_high": float(hi)}


def run_boot_policy(contender: str, n: int, n_boot: int) -> dict:
    import numpy as np

    import crmlab.strategy as S

    df = _frame(n)
    kw = dict(score="clv", margin=30.0, contact_cost=0.5, offer_cost=3.0, treatment="treatment",
              outcome="response")
    t0 = time.perf_counter()
    if contender == "crmlab":
        res = S.policy_profit(df, **kw, n_boot=n_boot, seed=0)
        lo, hi = res.curve.profit_ci_low.iloc[5], res.curve.profit_ci_high.iloc[5]
    else:
        rng = np.random.default_rng(0)
        profits = []
        for _ in range(n_boot):
            sample = df.iloc[rng.integers(0, n, n)]
            profits.append(S.policy_profit(sample, **kw, n_boot=0).curve.profit.to_numpy())
        lo, hi = np.quantile(np.vstack(profits)[:, 5], [0.025, 0.975])
    return {"seconds": time.perf_counter() - t0, "ci_low_30pct": float(lo), "ci_high_30pct": float(hi)}


def child(args) -> None:
    if args.case == "uplift":
        out = run_uplift(args.uplift_n)
    elif args.case == "boot-clv":
        out = run_boot_clv(args.contender, args.boot_n, args.n_boot)
    else:
        out = run_boot_policy(args.contender, args.boot_n, args.n_boot)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def spawn(args, case, contender="crmlab") -> dict:
    cmd = [sys.executable, __file__, "--child", "--case", case, "--contender", contender,
           "--uplift-n", str(args.uplift_n), "--boot-n", str(args.boot_n), "--n-boot", str(args.n_boot)]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"{case}/{contender} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--case", default="all", choices=["all", "uplift", "boot-clv", "boot-policy"])
    p.add_argument("--contender", default="crmlab")
    p.add_argument("--uplift-n", type=int, default=1_000_000)
    p.add_argument("--boot-n", type=int, default=100_000)
    p.add_argument("--n-boot", type=int, default=1000)
    p.add_argument("--policy-loop-boot", type=int, default=100,
                   help="resamples for the (slow) policy loop; its time is scaled to --n-boot")
    args = p.parse_args()
    if args.child:
        return child(args)
    cases = ["uplift", "boot-clv", "boot-policy"] if args.case == "all" else [args.case]
    if "uplift" in cases:
        r = spawn(args, "uplift")
        print(f"uplift + Qini, {args.uplift_n:,} customers (T-learner on half, scored on half): "
              f"fit {r['fit_s']:.1f} s, predict {r['predict_s']:.1f} s, qini {r['qini_s']:.1f} s, "
              f"total {r['total_s']:.1f} s, peak RSS {r['peak_rss_mib']:.0f} MiB "
              f"(Qini coefficient {r['qini_coefficient']:.3f})")
    if "boot-clv" in cases:
        res = {c: spawn(args, "boot-clv", c) for c in ("crmlab", "numpy-loop", "pandas-loop")}
        base = res["crmlab"]["seconds"]
        print(f"bootstrap CLV difference, {args.n_boot} resamples, {args.boot_n:,} customers:")
        for c, r in res.items():
            print(f"  {c:12s} {r['seconds']:7.2f} s  ratio {r['seconds'] / base:5.1f}x  "
                  f"CI [{r['ci_low']:.3f}, {r['ci_high']:.3f}]  peak RSS {r['peak_rss_mib']:.0f} MiB")
    if "boot-policy" in cases:
        r = spawn(args, "boot-policy", "crmlab")
        loop_args = argparse.Namespace(**{**vars(args), "n_boot": args.policy_loop_boot})
        lp = spawn(loop_args, "boot-policy", "loop")
        scaled = lp["seconds"] * args.n_boot / args.policy_loop_boot
        print(f"bootstrap policy profit curve, {args.n_boot} resamples, {args.boot_n:,} customers:")
        print(f"  crmlab       {r['seconds']:7.2f} s  peak RSS {r['peak_rss_mib']:.0f} MiB  "
              f"CI(30%) [{r['ci_low_30pct']:.0f}, {r['ci_high_30pct']:.0f}]")
        print(f"  loop         {scaled:7.2f} s  (measured {lp['seconds']:.2f} s for {args.policy_loop_boot} "
              f"resamples, scaled)  ratio {scaled / r['seconds']:5.1f}x  "
              f"CI(30%) [{lp['ci_low_30pct']:.0f}, {lp['ci_high_30pct']:.0f}]")


if __name__ == "__main__":
    main()
