"""Targeting policies ranked by profit: "contact everyone whose score is at least s".

For a threshold policy that contacts the top k customers by a score (CLV, P(alive), an RFM
score, predicted uplift...)::

    incremental(k) = Σ_{top k} uplift_i                       (caused by the campaign)
    treated(k)     = Σ_{top k} outcome_i if treated           (who redeems the offer)
    cost(k)        = contact_cost · k + offer_cost · treated(k) + fixed_cost
    profit(k)      = margin · incremental(k) − cost(k),        ROI = profit / cost

Outcomes are 0/1 responses (then ``margin`` is profit per incremental response and
``offer_cost`` the cost per redeemed offer) or amounts (then both are rates per unit, e.g.
margin 0.3 and a 10% discount as offer_cost 0.1). Offers redeemed by customers who would have
bought anyway are a cost with no gain, which is why targeting on uplift can beat targeting on
value.

The uplift comes from a model or an assumption (model mode: ``uplift=`` and ``response=``),
or is measured inside each top-k group from a randomised test (experiment mode:
``treatment=`` and ``outcome=``). A customer bootstrap gives intervals for the profit curve
and for the profit-maximising threshold.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ._common import (
    _CHUNK_CELLS,
    binary_column,
    check_arms,
    check_positive_int,
    need_frame,
    numeric_column,
)


@dataclass
class PolicyResult:
    """Profit curve of threshold policies. ``curve`` has one row per fraction targeted."""

    curve: pd.DataFrame
    best: pd.Series
    boot_best_fraction: np.ndarray = field(repr=False, default=None)

    def summary(self) -> pd.Series:
        return self.best


def _column_or_value(frame, spec, name, n):
    if spec is None:
        return None
    if isinstance(spec, str):
        return numeric_column(frame, spec)
    try:
        return np.full(n, float(spec))
    except (TypeError, ValueError):
        raise ParameterError(f"{name}= must be a column name or a number, got {spec!r}.") from None


def _curves(W, sorted_cols, pos, mode):
    """Cumulative sums at positions ``pos`` for weight rows W (shape (b, n))."""
    if mode == "model":
        u, p = sorted_cols
        k = np.cumsum(W, axis=1)[:, pos]
        inc = np.cumsum(W * u, axis=1)[:, pos]
        red = np.cumsum(W * p, axis=1)[:, pos]
        return k, inc, red
    t, y = sorted_cols
    nt = np.cumsum(W * t, axis=1)[:, pos]
    nc = np.cumsum(W * (1 - t), axis=1)[:, pos]
    yt = np.cumsum(W * t * y, axis=1)[:, pos]
    yc = np.cumsum(W * (1 - t) * y, axis=1)[:, pos]
    return _from_arms(nt, nc, yt, yc)


def _from_arms(nt, nc, yt, yc):
    with np.errstate(divide="ignore", invalid="ignore"):
        rt = yt / nt
        rc = yc / nc
    k = nt + nc
    return k, k * (rt - rc), k * rt


def _boot_curves(sorted_cols, pos, mode, n_boot, rng):
    """Bootstrap curves without an n-wide weight matrix.

    Each resample only needs sums over the slices between consecutive thresholds, so the drawn
    indices are mapped to their slice and summed with one weighted ``bincount`` per quantity;
    the cumulative sum over the (few) slices gives the curve. Yields (k, incremental, treated)
    for chunks of resamples.
    """
    n = len(sorted_cols[0])
    J = len(pos)
    seg = np.searchsorted(pos, np.arange(n), side="left")  # slice of each sorted position; J = beyond
    if mode == "experiment":
        # one key per (slice, arm): a single gather and two bincounts give all four arm sums
        t, y = sorted_cols
        seg = seg * 2 + t.astype(np.int64)
        values = y
    else:
        u, p = sorted_cols
    # every slice gets a column, also the empty ones between repeated thresholds (tie groups)
    width = (J + 1) * (2 if mode == "experiment" else 1)
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n, 1)))
    for start in range(0, n_boot, chunk):
        m = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(m, n))
        key = (seg[idx] + width * np.arange(m)[:, None]).ravel()

        def total(x=None):
            w = None if x is None else x[idx].ravel()
            return np.bincount(key, weights=w, minlength=m * width).reshape(m, width)

        if mode == "model":
            yield tuple(np.cumsum(b, axis=1)[:, :J] for b in (total(), total(u), total(p)))
        else:
            cnt, ysum = total(), total(values)
            cnt = np.pad(cnt, ((0, 0), (0, (-width) % 2)))  # make (slice, arm) pairs complete
            ysum = np.pad(ysum, ((0, 0), (0, (-width) % 2)))
            nc = np.cumsum(cnt[:, 0::2], axis=1)[:, :J]
            nt = np.cumsum(cnt[:, 1::2], axis=1)[:, :J]
            yc = np.cumsum(ysum[:, 0::2], axis=1)[:, :J]
            yt = np.cumsum(ysum[:, 1::2], axis=1)[:, :J]
            yield _from_arms(nt, nc, yt, yc)


def policy_profit(
    frame: pd.DataFrame,
    *,
    score: str,
    margin: float,
    contact_cost: float = 0.0,
    offer_cost: float = 0.0,
    fixed_cost: float = 0.0,
    uplift=None,
    response=None,
    treatment: str | None = None,
    outcome: str | None = None,
    fractions=None,
    n_boot: int = 500,
    alpha: float = 0.05,
    seed: int = 0,
) -> PolicyResult:
    """Expected profit and ROI of contacting the top fraction of customers by ``score``.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    score : str
        Ranking column; higher = contacted first.
    margin, contact_cost, offer_cost, fixed_cost : float
        Economics of the campaign (see the module docstring).
    uplift, response : str or float, optional
        Model mode. ``uplift``: incremental outcome per contacted customer (a column, e.g. from
        :func:`crmlab.strategy.uplift`, or an assumed constant). ``response``: expected outcome
        if contacted (drives the offer cost); defaults to ``uplift`` when ``offer_cost`` is 0.
    treatment, outcome : str, optional
        Experiment mode: measure the uplift in each top-k group from a randomised test.
    fractions : array-like, optional
        Fractions of customers targeted; default 0.05, 0.10, ..., 1.
    n_boot, alpha, seed
        Customer bootstrap for the intervals (``n_boot=0`` skips it).

    Returns
    -------
    PolicyResult
        ``curve``: fraction, threshold (lowest score contacted), n_targeted, incremental,
        cost, profit, roi, gain (share of all incremental outcome captured), lift (gain /
        share of customers targeted), and profit_ci_low/high (NaN at a depth where no
        resample has both arms, in experiment mode). Customers with tied scores are
        contacted together ("everyone whose score is at least the threshold"), so
        ``n_targeted`` can exceed ``fraction`` × n when a tie group straddles the cut (RFM
        scores are heavily tied); the results do not depend on the row order. ``best``: the profit-maximising fraction and
        threshold with bootstrap intervals.
    """
    need_frame(frame)
    n = len(frame)
    s = numeric_column(frame, score)
    experiment = treatment is not None or outcome is not None
    if experiment and uplift is not None:
        raise ParameterError("give either uplift= (model mode) or treatment=/outcome= (experiment mode), not both.")
    if experiment:
        if treatment is None or outcome is None:
            raise ParameterError("experiment mode needs both treatment= and outcome=.")
        t = binary_column(frame, treatment, role="treatment").astype(float)
        check_arms(t, treatment)
        y = numeric_column(frame, outcome)
        mode = "experiment"
    else:
        if uplift is None:
            raise ParameterError(
                "policy_profit needs uplift= (a column or an assumed number) or treatment= and "
                "outcome= from a randomised test."
            )
        u = _column_or_value(frame, uplift, "uplift", n)
        if response is None and offer_cost:
            raise ParameterError(
                "offer_cost is paid by everyone who responds when contacted: pass response= "
                "(a column or a number), e.g. the predicted outcome under treatment."
            )
        p = _column_or_value(frame, response, "response", n) if response is not None else u
        mode = "model"
    for name, v in (("margin", margin), ("contact_cost", contact_cost),
                    ("offer_cost", offer_cost), ("fixed_cost", fixed_cost)):
        if not np.isfinite(v) or (name != "margin" and v < 0):
            raise ParameterError(f"{name}={v!r} must be a finite number" + (" >= 0." if name != "margin" else "."))
    fr = np.arange(1, 21) / 20 if fractions is None else np.asarray(fractions, dtype=float)
    if fr.size == 0 or np.any((fr <= 0) | (fr > 1)):
        raise ParameterError("fractions must lie in (0, 1].")
    fr = np.unique(fr)
    # Sort by score (highest first), then by the other columns used, so that the sorted arrays,
    # and with them the curve and the seeded bootstrap, depend only on the set of customers and
    # not on the row order: tied customers with equal columns are interchangeable.
    cols = (u, p) if mode == "model" else (t, y)
    order = np.lexsort((cols[1], cols[0], -s))
    cols = tuple(c[order] for c in cols)
    s_sorted = s[order]
    # A tie group is one unit: contacting a fraction means everyone whose score is at least the
    # score at that depth, so each position moves to the end of its group of tied scores.
    pos = np.maximum(np.ceil(fr * n).astype(int), 1) - 1
    group_end = np.searchsorted(-s_sorted, -s_sorted, side="right") - 1
    pos = group_end[pos]

    def money(k, inc, red):
        cost = contact_cost * k + offer_cost * red + fixed_cost
        return margin * inc - cost, cost

    k, inc, red = _curves(np.ones((1, n)), cols, pos, mode)
    profit, cost = money(k, inc, red)
    k, inc, red, profit, cost = (a[0] for a in (k, inc, red, profit, cost))
    total_inc = inc[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        roi = profit / cost
        gain = inc / total_inc if total_inc != 0 else np.full_like(inc, np.nan)
    curve = pd.DataFrame({
        "fraction": fr, "threshold": s_sorted[pos], "n_targeted": k, "incremental": inc,
        "cost": cost, "profit": profit, "roi": roi, "gain": gain, "lift": gain / (k / n),
    })
    ib = int(np.nanargmax(profit))
    best = {"fraction": fr[ib], "threshold": curve.threshold.iloc[ib], "profit": profit[ib],
            "roi": roi[ib]}
    boot_best = None
    if n_boot:
        n_boot = check_positive_int(n_boot, "n_boot", 20)
        rng = np.random.default_rng(seed)
        profits = [money(bk, binc, bred)[0] for bk, binc, bred in _boot_curves(cols, pos, mode, n_boot, rng)]
        P = np.vstack(profits)
        with warnings.catch_warnings():  # a depth where no resample has both arms: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanquantile(P, [alpha / 2, 1 - alpha / 2], axis=0)
        curve["profit_ci_low"], curve["profit_ci_high"] = lo, hi
        valid = ~np.all(np.isnan(P), axis=1)
        boot_idx = np.nanargmax(np.where(np.isnan(P[valid]), -np.inf, P[valid]), axis=1)
        boot_best = fr[boot_idx]
        best.update(
            fraction_ci_low=float(np.quantile(boot_best, alpha / 2)),
            fraction_ci_high=float(np.quantile(boot_best, 1 - alpha / 2)),
            threshold_ci_low=float(np.quantile(s_sorted[pos][boot_idx], alpha / 2)),
            threshold_ci_high=float(np.quantile(s_sorted[pos][boot_idx], 1 - alpha / 2)),
            profit_ci_low=float(lo[ib]), profit_ci_high=float(hi[ib]),
            max_profit_ci_low=float(np.quantile(np.nanmax(P[valid], axis=1), alpha / 2)),
            max_profit_ci_high=float(np.quantile(np.nanmax(P[valid], axis=1), 1 - alpha / 2)),
        )
    curve.attrs.update(mode=mode, score=score)
    return PolicyResult(curve=curve, best=pd.Series(best, name=score), boot_best_fraction=boot_best)
