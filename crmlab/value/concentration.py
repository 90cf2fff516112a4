"""Concentration of customer value: :func:`gini`, :func:`lorenz`, :func:`concentration` (top-k%
shares, the 80/20 check), :func:`whale_curve` (cumulative profit by customer rank under a
cost-to-serve model, the 20/80/30 reading) and the customer pyramid :func:`pyramid` (Zeithaml,
Rust & Lemon 2001)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, ParameterError
from ..tables import Table
from ._common import _rank_desc, _values

i18n.register({
    "col.tier": {"zh": "层级", "en": "Tier"},
    "tier.platinum": {"zh": "白金客户", "en": "Platinum"},
    "tier.gold": {"zh": "黄金客户", "en": "Gold"},
    "tier.iron": {"zh": "铁客户", "en": "Iron"},
    "tier.lead": {"zh": "铅客户", "en": "Lead"},
    "value.pyramid": {"zh": "客户金字塔", "en": "Customer pyramid"},
    "value.concentration": {"zh": "客户价值集中度", "en": "Concentration of customer value"},
})


def gini(values) -> float:
    """The Gini coefficient of non-negative values (0 = all equal, → 1 = one customer has all).

    Uses the sample-free definition ``G = Σ_i (2i − n − 1) x_(i) / (n Σ x)`` with ``x`` sorted
    ascending, i.e. twice the area between the line of equality and the Lorenz curve.

    Raises
    ------
    DataError
        On missing, negative or all-zero values.
    """
    x = np.sort(_values(values).to_numpy())
    total = x.sum()
    if total <= 0:
        raise DataError("values sum to zero: the Gini coefficient is undefined.")
    n = x.size
    i = np.arange(1, n + 1, dtype="float64")
    return float(np.sum((2 * i - n - 1) * x) / (n * total))


def lorenz(values) -> pd.DataFrame:
    """The Lorenz curve: cumulative share of value held by the poorest share of customers.

    Returns a frame with ``cum_customers`` and ``cum_value`` from (0, 0) to (1, 1).
    """
    x = np.sort(_values(values).to_numpy())
    total = x.sum()
    if total <= 0:
        raise DataError("values sum to zero: the Lorenz curve is undefined.")
    n = x.size
    return pd.DataFrame({
        "cum_customers": np.r_[0.0, np.arange(1, n + 1) / n],
        "cum_value": np.r_[0.0, np.cumsum(x) / total],
    })


def _top_counts(n: int, shares) -> list[int]:
    out = []
    for s in shares:
        if not 0 < float(s) <= 1:
            raise ParameterError(f"shares must lie in (0, 1]; got {s!r}.")
        out.append(max(1, int(round(float(s) * n))))
    return out


def concentration(values, shares=(0.01, 0.05, 0.2)) -> pd.DataFrame:
    """The share of the total held by each top share of customers (the 80/20 check).

    The top ``s`` is the ``round(s·n)`` customers (at least one) with the largest values.

    Returns
    -------
    DataFrame indexed by ``top_share`` with ``n_customers`` and ``value_share``.
    """
    s = _values(values)
    total = float(s.sum())
    if total <= 0:
        raise DataError("values sum to zero: shares of the total are undefined.")
    csum = np.cumsum(np.sort(s.to_numpy())[::-1])
    ks = _top_counts(len(s), shares)
    return pd.DataFrame(
        {"n_customers": ks, "value_share": [float(csum[k - 1] / total) for k in ks]},
        index=pd.Index([float(x) for x in shares], name="top_share"),
    )


@dataclass
class WhaleCurve:
    """Result of :func:`whale_curve`.

    Attributes
    ----------
    curve : DataFrame
        One row per customer from most to least profitable: ``profit``, ``cum_profit``,
        ``cum_share`` (cumulative profit / total profit) and ``share_customers``.
    profit : Series
        Profit per customer (index = customer).
    total_profit, peak_profit : float
        Total profit, and the highest cumulative profit (what the firm would earn by serving
        only the customers up to the peak).
    peak_share : float
        ``peak_profit / total_profit``: above 1 whenever some customers lose money.
    peak_at : float
        Share of customers at the peak.
    top_share, top_profit_share : float
        The top share (default 0.2) and its profit as a share of total profit.
    bottom_share, bottom_loss_share : float
        The bottom share (default 0.3) and the part of the potential profit (the cumulative
        profit before them) that they take away: Kotler's "halve the profit" is 0.5.
    """

    curve: pd.DataFrame
    profit: pd.Series
    total_profit: float
    peak_profit: float
    peak_share: float
    peak_at: float
    top_share: float
    top_profit_share: float
    bottom_share: float
    bottom_loss_share: float

    def reading(self) -> pd.DataFrame:
        """The 20/80/30 reading as a one-column frame."""
        return pd.DataFrame({"value": {
            "top_share": self.top_share, "top_profit_share": self.top_profit_share,
            "bottom_share": self.bottom_share, "bottom_loss_share": self.bottom_loss_share,
            "peak_share": self.peak_share, "peak_at": self.peak_at,
            "total_profit": self.total_profit,
        }})


def whale_curve(revenue=None, n_orders=None, *, gross_margin: float = 1.0,
                cost_per_order: float = 0.0, cost_per_customer: float = 0.0,
                profit=None, top: float = 0.2, bottom: float = 0.3) -> WhaleCurve:
    """The whale curve: cumulative profit by customer rank, under a cost-to-serve model.

    Profit per customer is ``gross_margin · revenue − cost_per_order · n_orders −
    cost_per_customer``, or ``profit`` when given directly. Customers are ranked from most to
    least profitable (ties by customer id); the curve rises above 100% of total profit and
    falls back as the loss-making customers are added.

    Parameters
    ----------
    revenue : Series
        Revenue per customer (e.g. ``total_amount`` or ``monetary``).
    n_orders : Series, optional
        Orders per customer (``n_transactions``); required when ``cost_per_order`` > 0.
    gross_margin : float
        Share of revenue left after the cost of goods (1 = revenue is already a margin).
    cost_per_order, cost_per_customer : float
        The cost-to-serve parameters, in the currency of ``revenue``.
    profit : Series, optional
        Profit per customer, instead of the cost model.
    top, bottom : float
        The shares read off the curve (20/80/30 by default).

    Returns
    -------
    WhaleCurve
    """
    if profit is not None:
        p = _values(profit, "profit", allow_negative=True)
    else:
        if revenue is None:
            raise ParameterError("whale_curve needs revenue (with the cost parameters) or profit.")
        rev = _values(revenue, "revenue")
        if not 0 < gross_margin <= 1:
            raise ParameterError(f"gross_margin={gross_margin!r} must lie in (0, 1].")
        if cost_per_order < 0 or cost_per_customer < 0:
            raise ParameterError("cost_per_order and cost_per_customer must be >= 0.")
        p = gross_margin * rev - cost_per_customer
        if cost_per_order:
            if n_orders is None:
                raise ParameterError("cost_per_order > 0 needs n_orders (orders per customer).")
            orders = _values(n_orders, "n_orders")
            if len(orders) != len(rev) or not orders.index.equals(rev.index):
                orders = orders.reindex(rev.index)
                if orders.isna().any():
                    raise DataError("n_orders does not cover every customer in revenue; align "
                                    "the two Series on the customer index.")
            p = p - cost_per_order * orders
        p = p.rename("profit")
    for name, v in (("top", top), ("bottom", bottom)):
        if not 0 < v < 1:
            raise ParameterError(f"{name}={v!r} must lie strictly between 0 and 1.")
    total = float(p.sum())
    if total <= 0:
        raise DataError(f"total profit is {total:,.2f} (<= 0): the whale curve's shares of total "
                        f"profit are undefined; check the cost parameters.")
    order = _rank_desc(p)
    ranked = p.iloc[order]
    n = len(ranked)
    cum = np.cumsum(ranked.to_numpy())
    curve = pd.DataFrame({
        "profit": ranked.to_numpy(),
        "cum_profit": cum,
        "cum_share": cum / total,
        "share_customers": np.arange(1, n + 1) / n,
    }, index=ranked.index)
    k_peak = int(np.argmax(cum))
    k_top = max(1, int(round(top * n)))
    k_bottom = int(round(bottom * n))
    before_bottom = float(cum[n - k_bottom - 1]) if k_bottom < n else 0.0
    loss = (before_bottom - total) / before_bottom if before_bottom > 0 else float("nan")
    return WhaleCurve(
        curve=curve, profit=p, total_profit=total, peak_profit=float(cum[k_peak]),
        peak_share=float(cum[k_peak] / total), peak_at=(k_peak + 1) / n,
        top_share=top, top_profit_share=float(cum[k_top - 1] / total),
        bottom_share=bottom, bottom_loss_share=float(loss),
    )


# ---------------------------------------------------------------------------------------------
# customer pyramid
# ---------------------------------------------------------------------------------------------
PYRAMID_TIERS = ("platinum", "gold", "iron", "lead")


@dataclass
class Pyramid:
    """Result of :func:`pyramid`: ``tiers`` per customer and the per-tier ``summary``."""

    tiers: pd.Series
    summary: pd.DataFrame

    def table(self, lang: str = "zh") -> Table:
        return Table(self.summary, "value.pyramid", i18n.t("value.pyramid", lang), lang=lang)


def pyramid(values, cuts=(0.01, 0.04, 0.15, 0.80), *, profit=None, labels=None) -> Pyramid:
    """The customer pyramid: platinum, gold, iron and lead tiers by rank of value.

    Customers are ranked by ``values`` from high to low (ties by customer id). Tier boundaries
    fall at ``round(n · cumulative cut)``, so each tier is within one customer of its share.

    Parameters
    ----------
    values : Series
        Revenue (or profit) per customer, indexed by customer.
    cuts : sequence of float
        Tier shares from the top, summing to 1 (default 1/4/15/80%).
    profit : Series, optional
        Profit per customer, for a ``share_profit`` column.
    labels : sequence of str, optional
        Tier names; default platinum/gold/iron/lead (needs four cuts). Names with a registered
        ``tier.<name>`` label are shown translated; others as given.

    Returns
    -------
    Pyramid
        ``tiers`` (ordered categorical per customer, e.g. ``tier.platinum``) and
        ``summary`` indexed by tier with ``n_customers``, ``share_customers``, ``revenue``,
        ``share_revenue`` (and ``profit``, ``share_profit``).
    """
    s = _values(values)
    cuts = [float(c) for c in cuts]
    if any(c <= 0 for c in cuts) or abs(sum(cuts) - 1) > 1e-9:
        raise ParameterError(f"cuts={tuple(cuts)} must be positive shares that sum to 1 "
                             f"(e.g. (0.01, 0.04, 0.15, 0.80)).")
    if labels is None:
        if len(cuts) != len(PYRAMID_TIERS):
            raise ParameterError(f"{len(cuts)} cuts need {len(cuts)} labels; pass labels=... "
                                 f"(the default names the four tiers {PYRAMID_TIERS}).")
        labels = PYRAMID_TIERS
    if len(labels) != len(cuts):
        raise ParameterError(f"labels has {len(labels)} names for {len(cuts)} cuts.")
    keys = [f"tier.{lab}" if i18n.has(f"tier.{lab}") else str(lab) for lab in labels]
    n = len(s)
    bounds = np.round(np.cumsum(cuts) * n).astype(int)
    bounds[-1] = n
    pos = np.empty(n, dtype=int)
    pos[_rank_desc(s)] = np.arange(n)
    tier_idx = np.searchsorted(bounds, pos, side="right")
    tiers = pd.Series(pd.Categorical.from_codes(tier_idx, categories=keys, ordered=True),
                      index=s.index, name="tier")
    frame = pd.DataFrame({"tier": tiers, "revenue": s})
    if profit is not None:
        frame["profit"] = _values(profit, "profit", allow_negative=True).reindex(s.index)
    g = frame.groupby("tier", observed=False)
    summary = pd.DataFrame({"n_customers": g.size()})
    summary["share_customers"] = summary["n_customers"] / n
    summary["revenue"] = g["revenue"].sum()
    summary["share_revenue"] = summary["revenue"] / s.sum()
    if profit is not None:
        summary["profit"] = g["profit"].sum()
        summary["share_profit"] = summary["profit"] / frame["profit"].sum()
    summary.index = pd.Index(keys, name="tier")
    return Pyramid(tiers=tiers, summary=summary)
