"""Retention economics: customer equity under retention changes, acquisition vs retention
spending, churn rate and churn value (客户流失价值) per segment.

Uncertain inputs are passed as ``(mean, sd)`` pairs; the functions then simulate ``n_draws``
input sets (seeded) and report the mean and a percentile interval of every output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ..value.retention import retention_clv
from ._common import check_positive_int, need_columns, need_frame, numeric_column


def _draws(value, n, rng, *, lo=-np.inf, hi=np.inf, name="value"):
    """A fixed number, or (mean, sd) drawn from a normal truncated by clipping to [lo, hi]."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or value[1] < 0:
            raise ParameterError(f"{name}={value!r}: give a number or a (mean, sd) pair with sd >= 0.")
        x = rng.normal(value[0], value[1], n)
    else:
        x = np.full(n, float(value))
    return np.clip(x, lo, hi)


def _summ(name, x, alpha):
    lo, hi = np.quantile(x, [alpha / 2, 1 - alpha / 2])
    return {"quantity": name, "mean": float(np.mean(x)), "ci_low": float(lo), "ci_high": float(hi)}


def retention_scenario(
    *,
    margin,
    retention,
    discount_rate,
    delta: float = 0.05,
    n_customers: float = 1.0,
    margin_growth=0.0,
    horizon: int | None = None,
    n_draws: int = 2000,
    alpha: float = 0.05,
    seed: int = 0,
) -> pd.DataFrame:
    """Reichheld & Sasser's exercise: profit impact of raising retention by ``delta`` (5 points).

    Customer equity = ``n_customers`` × CLV, with CLV from :func:`retention_clv` using the
    growth-adjusted discount factor ``r (1 + g) / (1 + d)`` when ``margin_growth`` g is given
    (Reichheld & Sasser's profits grow with tenure). ``margin``, ``retention``, ``discount_rate``
    and ``margin_growth`` may be ``(mean, sd)`` to carry their uncertainty.

    Returns one row per quantity (``clv_before``, ``clv_after``, ``equity_before``,
    ``equity_after``, ``equity_gain``, ``profit_increase_pct``) with mean and interval.
    """
    n_draws = check_positive_int(n_draws, "n_draws")
    rng = np.random.default_rng(seed)
    m = _draws(margin, n_draws, rng, name="margin")
    r = _draws(retention, n_draws, rng, lo=0, hi=1, name="retention")
    d = _draws(discount_rate, n_draws, rng, lo=-0.99, name="discount_rate")
    g = _draws(margin_growth, n_draws, rng, lo=-0.99, name="margin_growth")
    r2 = np.clip(r + delta, 0, 1)
    # (1 + g) growth folds into an effective discount rate: r(1+g)/(1+d) = r / (1 + d_eff)
    d_eff = (1 + d) / (1 + g) - 1
    before = retention_clv(m, r, d_eff, horizon=horizon)
    after = retention_clv(m, r2, d_eff, horizon=horizon)
    rows = [
        _summ("clv_before", before, alpha),
        _summ("clv_after", after, alpha),
        _summ("equity_before", n_customers * before, alpha),
        _summ("equity_after", n_customers * after, alpha),
        _summ("equity_gain", n_customers * (after - before), alpha),
        _summ("profit_increase_pct", 100 * (after / before - 1), alpha),
    ]
    out = pd.DataFrame(rows).set_index("quantity")
    out.attrs["draws"] = {"before": before, "after": after}
    return out


def bd_response(spend, ceiling: float, k: float):
    """Blattberg & Deighton's response curve ``ceiling · (1 − exp(−k · spend))``."""
    return ceiling * (1 - np.exp(-k * np.asarray(spend, dtype=float)))


def bd_calibrate(ceiling: float, spend: float, rate: float) -> float:
    """The ``k`` that makes :func:`bd_response` give ``rate`` at ``spend`` (decision calculus)."""
    if not 0 < rate < ceiling:
        raise ParameterError(f"rate={rate!r} must lie strictly between 0 and the ceiling {ceiling!r}.")
    if spend <= 0:
        raise ParameterError(f"spend={spend!r} must be positive to calibrate the response curve.")
    return -np.log(1 - rate / ceiling) / spend


def customer_equity(acq_spend, ret_spend, *, margin, discount_rate, acq_ceiling, acq_k,
                    ret_ceiling, ret_k):
    """Blattberg & Deighton (1996) customer equity per prospect.

    ``a m − A + a (m − R / r) r' / (1 − r')`` with acquisition rate ``a = bd_response(A)``,
    retention rate ``r = bd_response(R)`` and ``r' = r / (1 + d)``. A and R are spend per
    prospect and per retained customer per period.
    """
    A = np.asarray(acq_spend, dtype=float)
    R = np.asarray(ret_spend, dtype=float)
    a = bd_response(A, acq_ceiling, acq_k)
    r = bd_response(R, ret_ceiling, ret_k)
    rp = r / (1 + discount_rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_ret = np.where(r > 0, margin - R / np.where(r > 0, r, 1), 0.0)
    return a * margin - A + a * per_ret * rp / (1 - rp)


def acquisition_vs_retention(
    *,
    margin,
    discount_rate,
    acq_ceiling,
    acq_k,
    ret_ceiling,
    ret_k,
    grid: int = 121,
    max_acq: float | None = None,
    max_ret: float | None = None,
    n_draws: int = 0,
    alpha: float = 0.05,
    seed: int = 0,
) -> dict:
    """Optimal acquisition and retention spend (Blattberg & Deighton's equity trade-off).

    Searches a ``grid`` × ``grid`` of spend levels (up to ``max_acq``/``max_ret``, default 3×
    margin). Any of ``margin``, ``acq_k``, ``ret_k`` may be ``(mean, sd)``; with ``n_draws`` > 0
    the optimum is recomputed on simulated inputs and intervals are returned.

    Returns a dict: ``optimum`` (one-row DataFrame indexed ``"estimate"``: acq_spend, ret_spend,
    acq_rate, ret_rate, equity, with intervals when simulated) and ``surface`` (DataFrame of equity over the grid,
    at the mean inputs).
    """
    def mean_of(v):
        return v[0] if isinstance(v, (tuple, list)) else float(v)

    m0 = mean_of(margin)
    max_acq = max_acq or 3 * m0
    max_ret = max_ret or 3 * m0
    A = np.linspace(0, max_acq, grid)
    R = np.linspace(0, max_ret, grid)
    AA, RR = np.meshgrid(A, R, indexing="ij")

    def solve(m, ak, rk):
        ce = customer_equity(AA, RR, margin=m, discount_rate=discount_rate, acq_ceiling=acq_ceiling,
                             acq_k=ak, ret_ceiling=ret_ceiling, ret_k=rk)
        i, j = np.unravel_index(np.nanargmax(ce), ce.shape)
        return A[i], R[j], ce[i, j], ce

    a_opt, r_opt, eq, surface = solve(m0, mean_of(acq_k), mean_of(ret_k))
    row = {
        "acq_spend": a_opt, "ret_spend": r_opt,
        "acq_rate": float(bd_response(a_opt, acq_ceiling, mean_of(acq_k))),
        "ret_rate": float(bd_response(r_opt, ret_ceiling, mean_of(ret_k))),
        "equity": float(eq),
    }
    if n_draws:
        rng = np.random.default_rng(seed)
        ms = _draws(margin, n_draws, rng, name="margin")
        aks = _draws(acq_k, n_draws, rng, lo=1e-9, name="acq_k")
        rks = _draws(ret_k, n_draws, rng, lo=1e-9, name="ret_k")
        sims = np.array([solve(m, ak, rk)[:3] for m, ak, rk in zip(ms, aks, rks)])
        for col, x in zip(("acq_spend", "ret_spend", "equity"), sims.T):
            row[f"{col}_ci_low"], row[f"{col}_ci_high"] = np.quantile(x, [alpha / 2, 1 - alpha / 2])
    surf = pd.DataFrame(surface, index=pd.Index(A, name="acq_spend"),
                        columns=pd.Index(R, name="ret_spend"))
    return {"optimum": pd.DataFrame([row], index=["estimate"]), "surface": surf}


def churn_value(
    frame: pd.DataFrame,
    *,
    segment: str,
    value: str,
    p_alive: str | None = None,
    churned: str | None = None,
) -> pd.DataFrame:
    """Churn rate and churn value (客户流失价值) per segment.

    Give either ``p_alive`` (probability the customer is still active, e.g. from BG/NBD) or
    ``churned`` (a 0/1 column). ``value`` is what a customer is worth if kept (e.g. CLV). The
    churn value of a segment is Σ P(churn)·value: the value the firm expects to lose.

    Returns per segment: ``n``, ``churn_rate``, ``expected_churners``, ``value``,
    ``churn_value`` and ``churn_value_share`` (share of the total churn value).
    """
    need_frame(frame)
    if (p_alive is None) == (churned is None):
        raise ParameterError("pass exactly one of p_alive= (a probability column) or churned= (a 0/1 column).")
    need_columns(frame, [segment])
    v = numeric_column(frame, value)
    if p_alive is not None:
        risk = 1 - numeric_column(frame, p_alive)
        if np.any((risk < 0) | (risk > 1)):
            raise ParameterError(f"column {p_alive!r} must hold probabilities in [0, 1].")
    else:
        from ._common import binary_column

        risk = binary_column(frame, churned, role="churn").astype(float)
    g = pd.DataFrame({"segment": frame[segment].to_numpy(), "risk": risk, "value": v,
                      "lost": risk * v})
    out = g.groupby("segment", sort=False, observed=True).agg(
        n=("risk", "size"), churn_rate=("risk", "mean"), expected_churners=("risk", "sum"),
        value=("value", "sum"), churn_value=("lost", "sum"))
    total = out["churn_value"].sum()
    out["churn_value_share"] = out["churn_value"] / total if total else np.nan
    return out.sort_values("churn_value", ascending=False)
