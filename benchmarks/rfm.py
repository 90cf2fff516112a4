"""Benchmark: RFM scoring + segment assignment (crmlab.rfm) against bare ``pandas.qcut``.

For 1 million customers (a seeded, tie-heavy RFM table: recency in whole days, geometric
frequency, lognormal monetary rounded to cents) it times, per rule set,

* ``crmlab``: ``rfm.score(table, bins)`` + ``rfm.segment(scores, rules)`` for classic10 (bins=5),
  cn8 (bins=5) and quartile5 (bins=4);
* ``qcut``: three bare ``pd.qcut(column, bins, labels=False, duplicates="drop")`` calls on the
  same columns, the practical floor (no tie rule, no code, no segments).

Target: crmlab at most 3x the qcut time, peak RSS under 1 GB. Each contender runs in its own
subprocess so ``ru_maxrss`` is its own. A second part clusters 100k customers with k selection
(k = 2..8, silhouette / Calinski-Harabasz / elbow, bootstrap stability) and records the time.

Usage::

    .venv/bin/python benchmarks/rfm.py                     # 1M customers, 100k for clustering
    .venv/bin/python benchmarks/rfm.py --customers 200000 --cluster-customers 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

RULES = (("classic10", 5), ("cn8", 5), ("quartile5", 4))


def make_table(n: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "recency": rng.integers(0, 731, n),
        "frequency": rng.geometric(0.35, n),
        "monetary": np.round(rng.lognormal(4.0, 1.1, n), 2),
    }, index=pd.Index([f"C{i:08d}" for i in range(n)], name="customer_id"))


def best_of(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def run_contender(name: str, n: int, repeats: int) -> dict:
    import pandas as pd

    table = make_table(n)
    out = {}
    if name == "qcut":
        for rules, bins in RULES:
            def qcut3(bins=bins):
                return [pd.qcut(table[c], bins, labels=False, duplicates="drop")
                        for c in ("recency", "frequency", "monetary")]
            out[rules] = best_of(qcut3, repeats)
    else:
        from crmlab import rfm

        for rules, bins in RULES:
            rfm.segment(rfm.score(table.iloc[:1000], bins=bins), rules)  # load the YAML once

            def crm(bins=bins, rules=rules):
                return rfm.segment(rfm.score(table, bins=bins), rules)
            out[rules] = best_of(crm, repeats)
        seg = crm()
        out["check_n"] = int(seg["segment"].notna().sum())
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_cluster(n: int) -> dict:
    from crmlab import segments

    table = make_table(n, seed=1)
    t0 = time.perf_counter()
    res = segments.cluster(table, ["recency", "frequency", "monetary"], k=range(2, 9),
                           n_bootstrap=5)
    dt = time.perf_counter() - t0
    return {"seconds": dt, "k": res.k_, "choice": res.selection_.attrs["choice"],
            "stability_ari": res.stability_,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def subprocess_json(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--cluster-customers", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", choices=["qcut", "crmlab", "cluster"])
    a = ap.parse_args()
    if a.child == "cluster":
        print(json.dumps(run_cluster(a.cluster_customers)))
        return
    if a.child:
        print(json.dumps(run_contender(a.child, a.customers, a.repeats)))
        return
    common = ["--customers", str(a.customers), "--repeats", str(a.repeats)]
    q = subprocess_json(["--child", "qcut", *common])
    c = subprocess_json(["--child", "crmlab", *common])
    print(f"RFM scoring + segments, {a.customers:,} customers (best of {a.repeats})")
    print(f"{'rule set':<12}{'qcut x3 (s)':>14}{'crmlab (s)':>12}{'ratio':>8}")
    for rules, _ in RULES:
        print(f"{rules:<12}{q[rules]:>14.3f}{c[rules]:>12.3f}{c[rules] / q[rules]:>8.2f}")
    print(f"peak RSS: qcut {q['peak_rss_mb']:.0f} MB, crmlab {c['peak_rss_mb']:.0f} MB "
          f"(every customer segmented: {c['check_n'] == a.customers})")
    if a.cluster_customers:
        k = subprocess_json(["--child", "cluster", "--cluster-customers", str(a.cluster_customers)])
        print(f"clustering {a.cluster_customers:,} customers, k = 2..8 + 5 bootstrap refits: "
              f"{k['seconds']:.1f} s, chose k = {k['k']} {k['choice']}, stability ARI "
              f"{k['stability_ari']:.3f}, peak RSS {k['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
