"""Case 3-1 as a simulation: refocus service on the top 20%, win back lost key customers and
serve the rest with a standard low-cost process. Profit before and after, with uncertainty.

Model (per customer i, over ``horizon`` periods, discount rate d)::

    S(r)      = Σ_{t<horizon} (r / (1 + d))^t            expected discounted active periods
    before_i  = (m_i − c_before) · S(r_i)                 active customers; lost ones give 0
    top       : (m_i − c_premium)  · S(r_i + g_premium)
    rest      : (m_i − c_standard) · S(r_i − l_standard)
    win-back  : s · (m_i − c_premium) · S(r_i + g_premium) − c_winback   (lost key customers)

The effects g_premium, l_standard and s are uncertain and given as (mean, sd); each simulation
draws them and also resamples the customers (bootstrap), so the interval reflects both the
strategy assumptions and the sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import ParameterError
from ._common import bootstrap_weights, check_positive_int, need_frame, numeric_column, binary_column

i18n.register({
    "strategy.case.top": {"zh": "重点客户（前 {pct}%）", "en": "Key customers (top {pct}%)"},
    "strategy.case.winback": {"zh": "挽回的流失重点客户", "en": "Won-back lost key customers"},
    "strategy.case.rest": {"zh": "其他客户（标准化服务）", "en": "Other customers (standard service)"},
    "strategy.case.lost": {"zh": "其他流失客户", "en": "Other lost customers"},
    "strategy.case.before": {"zh": "调整前利润", "en": "Profit before"},
    "strategy.case.after": {"zh": "调整后利润", "en": "Profit after"},
    "strategy.case.diff": {"zh": "利润变化", "en": "Change in profit"},
    "strategy.case.pct": {"zh": "利润变化（%）", "en": "Change in profit (%)"},
})


def composite_score(frame: pd.DataFrame, criteria: dict) -> pd.Series:
    """Several criteria combined into one score in [0, 1] (the owner's "best 20%" choice).

    ``criteria`` maps a column to a weight; a negative weight means lower is better (e.g.
    outstanding receivables 欠款额, purchase cycle 采购周期). This is
    :func:`crmlab.rfm.select_top`'s weighted min–max score, with weights normalised by their
    absolute sum; the one Case 3-1 ranking of the package.
    """
    from ..rfm import select_top

    need_frame(frame)
    if not criteria:
        raise ParameterError("criteria= must map at least one column to a weight.")
    if sum(abs(w) for w in criteria.values()) == 0:
        raise ParameterError("criteria weights are all zero.")
    ranked = select_top(frame, {c: "+" if w > 0 else "-" for c, w in criteria.items()},
                        weights={c: abs(w) for c, w in criteria.items()}, share=1.0)
    return ranked["score"].reindex(frame.index).rename("composite_score")


def case_inputs(frame: pd.DataFrame, *, gross_margin: float, lost_after_days: float,
                criteria: dict | None = None, sales: str = "sales_value",
                last_order: str = "days_since_last_order") -> pd.DataFrame:
    """The columns :func:`reallocation_case` needs, from a distributor's customer list.

    Adds ``margin`` (``gross_margin`` × ``sales``), ``lost`` (1 when ``last_order`` exceeds
    ``lost_after_days``) and ``score`` (:func:`composite_score` of ``criteria``; by default
    sales value and volume up, receivables and purchase cycle down).
    """
    need_frame(frame)
    if not 0 <= float(gross_margin) <= 1:
        raise ParameterError(f"gross_margin={gross_margin!r} must be a share in [0, 1].")
    criteria = criteria or {"sales_value": 1, "sales_volume": 1, "receivables": -1, "purchase_cycle": -1}
    return frame.assign(margin=float(gross_margin) * numeric_column(frame, sales),
                        lost=(numeric_column(frame, last_order) > float(lost_after_days)).astype(int),
                        score=composite_score(frame, criteria))


def _draw(spec, n, rng, name, lo=0.0, hi=1.0):
    if isinstance(spec, (tuple, list)):
        if len(spec) != 2 or spec[1] < 0:
            raise ParameterError(f"{name}={spec!r}: give a number or a (mean, sd) pair.")
        return np.clip(rng.normal(spec[0], spec[1], n), lo, hi)
    return np.full(n, float(spec))


def _mean(spec):
    return float(spec[0]) if isinstance(spec, (tuple, list)) else float(spec)


@dataclass
class CaseResult:
    """Result of :func:`reallocation_case`. ``summary`` is the headline table."""

    summary: pd.DataFrame
    groups: pd.DataFrame
    draws: pd.DataFrame

    @property
    def prob_improvement(self) -> float:
        return float((self.draws["after"] > self.draws["before"]).mean())


def reallocation_case(
    frame: pd.DataFrame,
    *,
    margin: str,
    score: str,
    retention,
    lost: str | None = None,
    top_share: float = 0.2,
    cost_before: float = 10.0,
    cost_premium: float = 30.0,
    cost_standard: float = 4.0,
    cost_winback: float = 20.0,
    gain_premium=(0.05, 0.02),
    loss_standard=(0.02, 0.01),
    winback_success=(0.25, 0.08),
    horizon: int = 2,
    discount_rate: float = 0.0,
    n_sims: int = 1000,
    alpha: float = 0.05,
    seed: int = 0,
    lang: str = "zh",
) -> CaseResult:
    """Simulate the Case 3-1 re-allocation and compare profit before and after.

    Parameters
    ----------
    frame : DataFrame
        One row per customer (active and lost).
    margin : str
        Gross margin per period of a customer while active (before service cost).
    score : str
        Ranking for "best customers" (e.g. :func:`composite_score`).
    retention : str or float
        Per-period retention probability (column or one number) under the current service.
    lost : str, optional
        0/1 column: the customer has already left. Lost customers in the top ``top_share`` by
        score are the "lost key customers" targeted by the win-back.
    top_share : float
        Share of active customers who get premium service (20%).
    cost_* : float
        Service cost per active customer per period (before; premium; standard) and one-off
        win-back cost per targeted lost key customer.
    gain_premium, loss_standard, winback_success : float or (mean, sd)
        Retention gain from premium service, retention loss from standardised service, and the
        win-back success probability.
    horizon, discount_rate
        Periods counted and discount rate per period.
    n_sims, alpha, seed
        Simulations (each draws the effects and bootstraps the customers) and interval level.
    """
    i18n.check_lang(lang)
    need_frame(frame)
    if not 0 < top_share < 1:
        raise ParameterError(f"top_share={top_share!r} must lie strictly between 0 and 1.")
    n_sims = check_positive_int(n_sims, "n_sims", 20)
    horizon = check_positive_int(horizon, "horizon")
    m = numeric_column(frame, margin)
    s = numeric_column(frame, score)
    r = numeric_column(frame, retention) if isinstance(retention, str) else np.full(len(frame), float(retention))
    if np.any((r < 0) | (r > 1)):
        raise ParameterError("retention must hold probabilities in [0, 1].")
    gone = binary_column(frame, lost, role="lost").astype(bool) if lost else np.zeros(len(frame), bool)
    active = ~gone
    if not active.any():
        raise ParameterError("every customer is marked lost; nothing to re-allocate.")
    cut = np.quantile(s[active], 1 - top_share)
    top = active & (s >= cut)
    rest = active & ~top
    winback = gone & (s >= cut)
    n = len(frame)

    def S(rr):
        q = np.clip(rr, 0, 1) / (1 + discount_rate)
        return np.where(np.isclose(q, 1), horizon, (1 - q**horizon) / np.where(np.isclose(q, 1), 1, 1 - q))

    before = np.where(active, (m - cost_before) * S(r), 0.0)

    def after_values(g, l, w):
        prem = (m - cost_premium) * S(r + g)
        std = (m - cost_standard) * S(r - l)
        wb = w * prem - cost_winback
        return np.where(top, prem, np.where(rest, std, np.where(winback, wb, 0.0)))

    rng = np.random.default_rng(seed)
    g = _draw(gain_premium, n_sims, rng, "gain_premium")
    l = _draw(loss_standard, n_sims, rng, "loss_standard")
    w = _draw(winback_success, n_sims, rng, "winback_success")
    A = after_values(g[:, None], l[:, None], w[:, None])  # (n_sims, n)
    b_tot, a_tot = [], []
    i = 0
    for W in bootstrap_weights(n, n_sims, rng):
        k = len(W)
        b_tot.append(W @ before)
        a_tot.append((W * A[i:i + k]).sum(axis=1))
        i += k
    draws = pd.DataFrame({"before": np.concatenate(b_tot), "after": np.concatenate(a_tot),
                          "gain_premium": g, "loss_standard": l, "winback_success": w})
    diff = draws["after"] - draws["before"]
    pct = 100 * diff / draws["before"].abs()
    point_after = after_values(_mean(gain_premium), _mean(loss_standard), _mean(winback_success))
    point = {"before": before.sum(), "after": point_after.sum()}
    point["diff"] = point["after"] - point["before"]
    point["pct"] = 100 * point["diff"] / abs(point["before"]) if point["before"] else np.nan
    rows = []
    for key, x in (("before", draws["before"]), ("after", draws["after"]), ("diff", diff), ("pct", pct)):
        lo, hi = np.nanquantile(x, [alpha / 2, 1 - alpha / 2])
        rows.append({"quantity": i18n.t(f"strategy.case.{key}", lang), "estimate": point[key],
                     "ci_low": lo, "ci_high": hi})
    summary = pd.DataFrame(rows).set_index("quantity")
    summary.attrs["prob_improvement"] = float((diff > 0).mean())
    pct_label = f"{100 * top_share:g}"
    grp = []
    for key, mask in (("top", top), ("winback", winback), ("rest", rest), ("lost", gone & ~winback)):
        grp.append({"group": i18n.t(f"strategy.case.{key}", lang, pct=pct_label), "n": int(mask.sum()),
                    "profit_before": float(before[mask].sum()),
                    "profit_after": float(point_after[mask].sum())})
    groups = pd.DataFrame(grp).set_index("group")
    groups["change"] = groups["profit_after"] - groups["profit_before"]
    return CaseResult(summary=summary, groups=groups, draws=draws)
