"""Customer value theory made computable (notebook 01).

* Concentration: :func:`gini`, :func:`lorenz`, :func:`concentration` (top-k% shares, the 80/20
  check), :func:`whale_curve` (cumulative profit by customer rank under a cost-to-serve model,
  with the 20/80/30 reading).
* The customer pyramid (Zeithaml, Rust & Lemon 2001): :func:`pyramid`.
* Customer delivered value (Kotler): :func:`delivered_value` from survey components.
* Retention economics: :func:`clv_simple`, :func:`clv_finite`, :func:`customer_equity`,
  :func:`retention_uplift` (the Reichheld & Sasser 5-point exercise), :func:`clv_components`.
* Multi-criteria value scoring: :func:`ahp_weights`, :func:`entropy_weights`, :func:`topsis`,
  :func:`value_scores` (an indicator hierarchy from a dict/YAML spec) and the customer value
  matrix :func:`value_matrix`.
* Survey analysis of perceived value, satisfaction and loyalty: :func:`cronbach_alpha`,
  :func:`reliability`, :func:`factor_loadings`, :func:`loyalty_regression`.
* The loyalty ladder: :func:`loyalty_ladder`, :func:`ladder_transitions`.

Everything here is pure: frames in, frames/result objects out. Figures are built by the
``plot_*`` functions with zh/en labels.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .errors import DataError, ParameterError
from .tables import Table, label

RULES_DIR = Path(__file__).parent / "rules"

i18n.register({
    # column labels shared by the tables of this module (and rfm/segments, which import it)
    "col.recency": {"zh": "最近一次购买距今（天）", "en": "Recency (days)"},
    "col.frequency": {"zh": "购买频率", "en": "Frequency"},
    "col.monetary": {"zh": "购买金额", "en": "Monetary"},
    "col.share": {"zh": "份额", "en": "Share"},
    "col.segment": {"zh": "客户细分", "en": "Segment"},
    "col.top_share": {"zh": "头部客户比例", "en": "Top share of customers"},
    "col.n_customers": {"zh": "客户数", "en": "Customers"},
    "col.value_share": {"zh": "价值占比", "en": "Share of value"},
    "col.tier": {"zh": "层级", "en": "Tier"},
    "col.share_customers": {"zh": "客户占比", "en": "Share of customers"},
    "col.revenue": {"zh": "收入", "en": "Revenue"},
    "col.share_revenue": {"zh": "收入占比", "en": "Share of revenue"},
    "col.profit": {"zh": "利润", "en": "Profit"},
    "col.share_profit": {"zh": "利润占比", "en": "Share of profit"},
    "col.weight": {"zh": "权重", "en": "Weight"},
    "col.criterion": {"zh": "指标", "en": "Criterion"},
    "col.entropy": {"zh": "信息熵", "en": "Entropy"},
    "col.divergence": {"zh": "差异系数", "en": "Divergence"},
    # the ``source`` column of ValueScores.weights: how each node's weights were obtained
    "source.entropy": {"zh": "熵权法", "en": "entropy method"},
    "source.equal": {"zh": "等权", "en": "equal weights"},
    "source.ahp": {"zh": "层次分析法", "en": "AHP"},
    "source.given": {"zh": "给定权重", "en": "given weights"},
    "col.alpha": {"zh": "Cronbach's α", "en": "Cronbach's α"},
    "col.n_items": {"zh": "题项数", "en": "Items"},
    "col.construct": {"zh": "构念", "en": "Construct"},
    "col.mean": {"zh": "均值", "en": "Mean"},
    "col.value_class": {"zh": "客户类别", "en": "Customer class"},
    "col.strategy": {"zh": "策略", "en": "Strategy"},
    "col.stage": {"zh": "阶段", "en": "Stage"},
    "col.clv": {"zh": "客户终生价值", "en": "CLV"},
    "col.retention": {"zh": "客户保持率", "en": "Retention rate"},
    "col.change": {"zh": "变化率", "en": "Change"},
    "col.component": {"zh": "构成", "en": "Component"},
    # pyramid tiers (Zeithaml, Rust & Lemon 2001)
    "tier.platinum": {"zh": "白金客户", "en": "Platinum"},
    "tier.gold": {"zh": "黄金客户", "en": "Gold"},
    "tier.iron": {"zh": "铁客户", "en": "Iron"},
    "tier.lead": {"zh": "铅客户", "en": "Lead"},
    # figures and captions
    "value.lorenz": {"zh": "洛伦兹曲线（基尼系数 = {gini:.3f}）",
                     "en": "Lorenz curve (Gini = {gini:.3f})"},
    "value.cum_customers": {"zh": "累计客户占比", "en": "Cumulative share of customers"},
    "value.cum_value": {"zh": "累计价值占比", "en": "Cumulative share of value"},
    "value.equality": {"zh": "完全平均线", "en": "Line of equality"},
    "value.whale": {"zh": "鲸鱼曲线：按利润排序的累计利润", "en": "Whale curve: cumulative profit by customer rank"},
    "value.cum_profit": {"zh": "累计利润占总利润比例", "en": "Cumulative profit, share of total"},
    "value.customers_ranked": {"zh": "按利润从高到低排序的客户占比",
                               "en": "Share of customers, ranked by profit (high to low)"},
    "value.peak": {"zh": "峰值 {peak:.0%}", "en": "Peak {peak:.0%}"},
    "value.pyramid": {"zh": "客户金字塔", "en": "Customer pyramid"},
    "value.concentration": {"zh": "客户价值集中度", "en": "Concentration of customer value"},
    "value.delivered": {"zh": "顾客让渡价值构成", "en": "Customer delivered value decomposition"},
    "value.total_value": {"zh": "顾客总价值", "en": "Total customer value"},
    "value.total_cost": {"zh": "顾客总成本", "en": "Total customer cost"},
    "value.delivered_value": {"zh": "顾客让渡价值", "en": "Customer delivered value"},
    "value.matrix": {"zh": "客户价值矩阵", "en": "Customer value matrix"},
    "value.current": {"zh": "当前价值", "en": "Current value"},
    "value.potential": {"zh": "潜在价值", "en": "Potential value"},
    "value.ahp": {"zh": "层次分析法权重", "en": "AHP weights"},
    "value.entropy": {"zh": "熵权法权重", "en": "Entropy weights"},
    "value.reliability": {"zh": "量表信度分析", "en": "Scale reliability"},
    "value.loadings": {"zh": "因子载荷", "en": "Factor loadings"},
    "value.factor": {"zh": "因子", "en": "Factor"},
    "value.item": {"zh": "题项", "en": "Item"},
    "value.retention_uplift": {"zh": "保持率提高的利润效应", "en": "Profit effect of higher retention"},
    "value.ladder": {"zh": "客户忠诚度阶梯", "en": "Loyalty ladder"},
    "value.clv_components": {"zh": "客户终生价值构成", "en": "CLV components"},
    "value.matrix_classes": {"zh": "客户价值矩阵分类与策略", "en": "Value-matrix classes and strategies"},
    # delivered value components
    "col.product_value": {"zh": "产品价值", "en": "Product value"},
    "col.service_value": {"zh": "服务价值", "en": "Service value"},
    "col.personnel_value": {"zh": "人员价值", "en": "Personnel value"},
    "col.image_value": {"zh": "形象价值", "en": "Image value"},
    "col.monetary_cost": {"zh": "货币成本", "en": "Monetary cost"},
    "col.time_cost": {"zh": "时间成本", "en": "Time cost"},
    "col.energy_cost": {"zh": "精力成本", "en": "Energy cost"},
    "col.satisfaction": {"zh": "顾客满意度", "en": "Satisfaction"},
    "col.loyalty": {"zh": "顾客忠诚度", "en": "Loyalty"},
    "col.perceived_value": {"zh": "感知价值", "en": "Perceived value"},
    # loyalty ladder
    "stage.prospect": {"zh": "潜在客户", "en": "Prospect"},
    "stage.first_time": {"zh": "首次购买客户", "en": "First-time buyer"},
    "stage.repeat": {"zh": "重复购买客户", "en": "Repeat buyer"},
    "stage.loyal": {"zh": "忠诚客户", "en": "Loyal customer"},
    "stage.advocate": {"zh": "品牌拥护者", "en": "Advocate"},
    # CLV1-CLV6
    "clv.first_purchase": {"zh": "CLV1 初次购买", "en": "CLV1 first purchase"},
    "clv.repeat_purchase": {"zh": "CLV2 重复购买", "en": "CLV2 repeat purchases"},
    "clv.cross_selling": {"zh": "CLV3 交叉销售", "en": "CLV3 cross-selling"},
    "clv.service_cost_saving": {"zh": "CLV4 服务成本降低", "en": "CLV4 lower service cost"},
    "clv.referral": {"zh": "CLV5 推荐收益", "en": "CLV5 referral revenue"},
    "clv.loyalty_value": {"zh": "CLV6 客户忠诚带来的价值", "en": "CLV6 loyalty value"},
})


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------
def _values(values, name: str = "values", *, allow_negative: bool = False) -> pd.Series:
    """A float Series (index kept) with no missing values; a clear error otherwise."""
    if isinstance(values, pd.DataFrame):
        raise ParameterError(f"{name} must be one column (a Series or array), not a DataFrame; "
                             f"pass e.g. frame['monetary'].")
    s = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    try:
        s = s.astype("float64")
    except (TypeError, ValueError):
        raise DataError(f"{name} must be numeric; convert the column first.") from None
    if len(s) == 0:
        raise DataError(f"{name} is empty: there are no customers to analyse.")
    n_bad = int(s.isna().sum())
    if n_bad:
        raise DataError(f"{name} has {n_bad} missing values; fill or drop them first.")
    if not np.isfinite(s.to_numpy()).all():
        raise DataError(f"{name} has infinite values; drop them first.")
    if not allow_negative and (s < 0).any():
        raise DataError(f"{name} has {int((s < 0).sum())} negative values; Gini/Lorenz/pyramid "
                        f"shares need non-negative values (use whale_curve for profit that can "
                        f"be negative).")
    return s


def _rank_desc(s: pd.Series) -> np.ndarray:
    """Positions sorting ``s`` from largest to smallest; ties keep the input index order.

    Ties are broken by the sorted index labels, not by row order, so a shuffled input gives the
    same ranking.
    """
    idx = s.index.to_numpy()
    try:
        tie = np.argsort(np.argsort(idx, kind="stable"), kind="stable")
    except TypeError:  # mixed-type index: fall back to the string form
        tie = np.argsort(np.argsort(idx.astype(str), kind="stable"), kind="stable")
    return np.lexsort((tie, -s.to_numpy()))


# ---------------------------------------------------------------------------------------------
# concentration
# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
# customer delivered value (Kotler)
# ---------------------------------------------------------------------------------------------
VALUE_COMPONENTS = ("product_value", "service_value", "personnel_value", "image_value")
COST_COMPONENTS = ("monetary_cost", "time_cost", "energy_cost")


def _construct_means(frame: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    out = {}
    for name, items in constructs.items():
        items = [items] if isinstance(items, str) else list(items)
        missing = [c for c in items if c not in frame.columns]
        if missing:
            raise DataError(f"construct {name!r} needs columns {missing}, which the survey "
                            f"lacks; pass constructs={{...}} naming your item columns.")
        out[name] = frame[items].astype("float64").mean(axis=1)
    return pd.DataFrame(out, index=frame.index)


def default_constructs(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Group item columns named ``<construct>_<k>`` (as :func:`simulate_survey` makes them)."""
    if "constructs" in frame.attrs:
        return {k: list(v) for k, v in frame.attrs["constructs"].items()}
    groups: dict[str, list[str]] = {}
    for col in frame.columns:
        head, _, tail = str(col).rpartition("_")
        if head and tail.isdigit():
            groups.setdefault(head, []).append(col)
    if not groups:
        raise DataError("no item columns named '<construct>_<k>' found; pass constructs="
                        "{'product_value': ['q1', 'q2'], ...} explicitly.")
    return groups


def delivered_value(survey: pd.DataFrame, *, constructs=None, value=VALUE_COMPONENTS,
                    cost=COST_COMPONENTS, weights=None) -> pd.DataFrame:
    """Customer delivered value = total customer value − total customer cost, per respondent.

    Each component is the mean of its items; total value (cost) is the (weighted) sum of the
    value (cost) components.

    Parameters
    ----------
    survey : DataFrame
        Item scores, one row per respondent.
    constructs : mapping, optional
        Component → item columns; default groups ``<component>_<k>`` columns.
    value, cost : sequence of str
        The component names on each side.
    weights : mapping, optional
        Component → weight (default 1 each).

    Returns
    -------
    DataFrame with one column per component, then ``total_value``, ``total_cost`` and
    ``delivered_value``.
    """
    constructs = default_constructs(survey) if constructs is None else constructs
    need = list(value) + list(cost)
    missing = [c for c in need if c not in constructs]
    if missing:
        raise ParameterError(f"components {missing} have no item columns; name them in "
                             f"constructs= or drop them from value=/cost=.")
    comp = _construct_means(survey, {k: constructs[k] for k in need})
    w = {k: 1.0 for k in need}
    if weights is not None:
        unknown = set(weights) - set(need)
        if unknown:
            raise ParameterError(f"weights name unknown components {sorted(unknown)}; "
                                 f"use some of {need}.")
        w.update({k: float(v) for k, v in weights.items()})
    comp["total_value"] = sum(w[k] * comp[k] for k in value)
    comp["total_cost"] = sum(w[k] * comp[k] for k in cost)
    comp["delivered_value"] = comp["total_value"] - comp["total_cost"]
    return comp


# ---------------------------------------------------------------------------------------------
# retention economics
# ---------------------------------------------------------------------------------------------
def _check_rates(retention, discount):
    r = np.asarray(retention, dtype="float64")
    d = np.asarray(discount, dtype="float64")
    if np.any((r < 0) | (r >= 1)):
        raise ParameterError(f"retention={retention!r} must lie in [0, 1).")
    if np.any(d <= -1):
        raise ParameterError(f"discount={discount!r} must be greater than -1.")
    return r, d


def clv_simple(margin, retention, discount):
    """Infinite-horizon CLV with constant margin and retention: ``m·r / (1 + d − r)``.

    The margin is earned at the end of each period the customer survives (first margin after one
    retention), i.e. ``Σ_{t≥1} m·(r/(1+d))^t``. This is
    :func:`crmlab.strategy.economics.retention_clv` (margin at the start of each period)
    shifted by one period, ``r/(1+d)``. Works elementwise on arrays/Series.
    """
    from .strategy.economics import retention_clv

    r, d = _check_rates(retention, discount)
    out = r / (1 + d) * retention_clv(margin, r, d)
    return out if np.ndim(out) else float(out)


def clv_finite(margin, retention, discount, periods: int):
    """CLV over ``periods`` periods: ``Σ_{t=1}^{T} m·r^t / (1+d)^t`` (end-of-period margins)."""
    from .strategy.economics import retention_clv

    if int(periods) != periods or periods < 0:
        raise ParameterError(f"periods={periods!r} must be a non-negative whole number.")
    r, d = _check_rates(retention, discount)
    if periods == 0:
        out = np.zeros(np.broadcast(np.asarray(margin), r, d).shape)
    else:
        out = r / (1 + d) * retention_clv(margin, r, d, horizon=int(periods))
    return out if np.ndim(out) else float(out)


def customer_equity(clv, n_customers=None) -> float:
    """Customer equity: the sum of CLV over the customer base.

    ``clv`` is a per-customer Series (summed), or one CLV multiplied by ``n_customers``.
    """
    if n_customers is None:
        return float(_values(clv, "clv", allow_negative=True).sum())
    if n_customers < 0:
        raise ParameterError("n_customers must be >= 0.")
    return float(clv) * float(n_customers)


def retention_uplift(margin, retention, discount, delta: float = 0.05,
                     periods: int | None = None) -> pd.DataFrame:
    """The Reichheld & Sasser (1990) exercise: the value effect of ``delta`` more retention.

    Compares CLV at ``retention`` and at ``retention + delta`` (infinite horizon, or ``periods``),
    with fixed inputs. Reichheld & Sasser report +25% to +85% profit for 5 points, depending on
    the industry. :func:`crmlab.strategy.retention_scenario` runs the same exercise with
    uncertain inputs and margin growth.

    Returns
    -------
    DataFrame indexed by ``base``/``improved`` with ``retention``, ``clv`` and ``change``
    (relative to base).
    """
    r1 = float(retention) + float(delta)
    f = clv_simple if periods is None else (lambda m, r, d: clv_finite(m, r, d, periods))
    base = f(margin, retention, discount)
    new = f(margin, r1, discount)
    return pd.DataFrame({"retention": [float(retention), r1], "clv": [base, new],
                         "change": [0.0, new / base - 1 if base else float("nan")]},
                        index=pd.Index(["base", "improved"], name="scenario"))


def margin_per_year(summary: pd.DataFrame, gross_margin: float) -> float:
    """Average yearly gross margin per customer: the input of the retention-economics exercise.

    ``gross_margin`` × mean ``total_amount`` of a :func:`crmlab.summarise` frame, spread over
    the years from the first purchase in the data to ``attrs["observation_end"]``.
    """
    if not isinstance(summary, pd.DataFrame) or not {"total_amount", "first_purchase"} <= set(summary):
        raise ParameterError("margin_per_year needs a crmlab.summarise frame with total_amount and "
                             "first_purchase (the log must have amounts).")
    end = summary.attrs.get("observation_end")
    if end is None:
        raise ParameterError("margin_per_year: the summary has no attrs['observation_end']; build "
                             "it with crmlab.summarise.")
    if not 0 <= float(gross_margin) <= 1:
        raise ParameterError(f"gross_margin={gross_margin!r} must be a share in [0, 1].")
    days = (pd.Timestamp(end) - pd.to_datetime(summary["first_purchase"]).min().normalize()).days
    if days <= 0:
        raise DataError("margin_per_year: the data span less than a day before observation_end.")
    return float(gross_margin) * float(summary["total_amount"].mean()) / (days / 365.25)


CLV_COMPONENTS = ("first_purchase", "repeat_purchase", "cross_selling", "service_cost_saving",
                  "referral", "loyalty_value")


def clv_components(frame: pd.DataFrame) -> pd.DataFrame:
    """Totals and shares of the CLV1–CLV6 components present as columns in ``frame``.

    Columns are matched by name (``first_purchase``, ``repeat_purchase``, ``cross_selling``,
    ``service_cost_saving``, ``referral``, ``loyalty_value``); at least one is needed.
    """
    present = [c for c in CLV_COMPONENTS if c in frame.columns]
    if not present:
        raise DataError(f"no CLV component columns found; name them {list(CLV_COMPONENTS)}.")
    tot = frame[present].astype("float64").sum()
    out = pd.DataFrame({"value": tot.to_numpy(), "share": (tot / tot.sum()).to_numpy()},
                       index=pd.Index([f"clv.{c}" for c in present], name="component"))
    return out


# ---------------------------------------------------------------------------------------------
# weights: AHP, entropy, TOPSIS
# ---------------------------------------------------------------------------------------------
# Saaty's random consistency index (Saaty 1980; n = 11..15 from Saaty 2000's extended table).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41,
                9: 1.45, 10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}


@dataclass
class AhpResult:
    """Result of :func:`ahp_weights`: principal-eigenvector ``weights`` and consistency."""

    weights: pd.Series
    lambda_max: float
    consistency_index: float
    random_index: float
    consistency_ratio: float
    matrix: pd.DataFrame = field(repr=False)

    @property
    def consistent(self) -> bool:
        return self.consistency_ratio < 0.1

    def table(self, lang: str = "zh") -> Table:
        frame = self.weights.to_frame("weight")
        frame.index.name = "criterion"
        note = {"zh": f"λmax = {self.lambda_max:.3f}，CI = {self.consistency_index:.3f}，"
                      f"RI = {self.random_index:.2f}，CR = {self.consistency_ratio:.3f}",
                "en": f"λmax = {self.lambda_max:.3f}, CI = {self.consistency_index:.3f}, "
                      f"RI = {self.random_index:.2f}, CR = {self.consistency_ratio:.3f}"}
        return Table(frame, "value.ahp", i18n.t("value.ahp", lang), lang=lang, note=note)


def ahp_weights(matrix, labels=None, *, max_cr: float | None = 0.1) -> AhpResult:
    """AHP weights from a pairwise-comparison matrix (Saaty's eigenvector method).

    Parameters
    ----------
    matrix : array-like or DataFrame
        Square, positive and reciprocal (``a_ji = 1/a_ij``), on Saaty's 1–9 scale. A DataFrame's
        index gives the criterion names.
    labels : sequence of str, optional
        Criterion names (default the DataFrame index, else ``c1..cn``).
    max_cr : float or None
        Refuse matrices whose consistency ratio is ``>= max_cr`` (Saaty's 0.1). ``None``
        returns the weights of any matrix, consistent or not.

    Returns
    -------
    AhpResult
        ``weights`` (sum 1), ``lambda_max``, ``consistency_index = (λmax − n)/(n − 1)``,
        ``random_index`` (Saaty's RI) and ``consistency_ratio = CI/RI`` (0 for n ≤ 2).

    Raises
    ------
    ParameterError
        When the matrix is not square, positive and reciprocal, or CR ≥ ``max_cr``.
    """
    if isinstance(matrix, pd.DataFrame):
        labels = list(matrix.index) if labels is None else labels
        a = matrix.to_numpy(dtype="float64")
    else:
        try:
            a = np.asarray(matrix, dtype="float64")
        except (TypeError, ValueError):
            raise ParameterError("the AHP matrix must hold numbers (use 1/3, not '1/3').") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ParameterError(f"the AHP matrix must be square; got shape {a.shape}.")
    n = a.shape[0]
    labels = [f"c{i + 1}" for i in range(n)] if labels is None else list(labels)
    if len(labels) != n:
        raise ParameterError(f"{len(labels)} labels for a {n}x{n} AHP matrix.")
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        raise ParameterError("every AHP judgement must be a positive number (1/9 .. 9).")
    bad = np.argwhere(~np.isclose(a * a.T, 1.0, rtol=1e-3))
    if len(bad):
        i, j = bad[0]
        raise ParameterError(f"the AHP matrix is not reciprocal: a[{labels[i]}, {labels[j]}] = "
                             f"{a[i, j]:g} but a[{labels[j]}, {labels[i]}] = {a[j, i]:g}; set it "
                             f"to {1 / a[i, j]:.4g}.")
    if n > max(RANDOM_INDEX):
        raise ParameterError(f"AHP with {n} criteria: Saaty's random index is tabulated up to "
                             f"{max(RANDOM_INDEX)}; split the criteria into a hierarchy.")
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    cr = max(cr, 0.0) if abs(cr) < 1e-12 else cr
    res = AhpResult(weights=pd.Series(w, index=pd.Index(labels, name="criterion"), name="weight"),
                    lambda_max=lam, consistency_index=ci, random_index=ri,
                    consistency_ratio=cr, matrix=pd.DataFrame(a, index=labels, columns=labels))
    if max_cr is not None and cr >= max_cr:
        raise ParameterError(
            f"the AHP matrix is inconsistent: CR = {cr:.3f} >= {max_cr} (λmax = {lam:.3f}, n = {n}). "
            f"Revise the judgements (start with the pair most out of line with the others), or "
            f"pass max_cr=None to accept it knowingly.")
    return res


def _criteria_frame(frame: pd.DataFrame, columns=None, *, what: str = "criteria",
                    min_rows: int = 2) -> pd.DataFrame:
    """The named numeric columns as float64, with clear errors for missing/non-numeric/NaN.

    Shared by every module that scores customers on several columns (``what`` names them in
    the messages: criteria, features, items...).
    """
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"pass the {what} as a DataFrame, one column each, one row per "
                             f"customer.")
    cols = list(frame.columns) if columns is None else list(columns)
    if not cols:
        raise DataError(f"no {what} columns given.")
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise DataError(f"{what} columns {missing} are not in the frame; it has "
                        f"{list(frame.columns)[:12]}.")
    x = frame[cols]
    non_num = [c for c in cols if not pd.api.types.is_numeric_dtype(x[c])]
    if non_num:
        raise DataError(f"{what} columns {non_num} are not numeric; encode them or leave them out.")
    x = x.astype("float64")
    if x.isna().any().any():
        bad = list(x.columns[x.isna().any()])
        raise DataError(f"{what} columns {bad} have missing values; fill or drop them first.")
    if len(x) < min_rows:
        raise DataError(f"need at least {min_rows} customers; got {len(x)}.")
    return x


def _directions(cols, negative=(), directions=None) -> dict[str, int]:
    out = {c: 1 for c in cols}
    for c in negative:
        if c not in out:
            raise ParameterError(f"negative criterion {c!r} is not one of {list(cols)}.")
        out[c] = -1
    if directions:
        for c, d in directions.items():
            if c not in out:
                raise ParameterError(f"criterion {c!r} is not one of {list(cols)}.")
            out[c] = _sign(d, c)
    return out


def _sign(d, name) -> int:
    if d in (1, "+", "positive", "benefit", "max"):
        return 1
    if d in (-1, "-", "negative", "cost", "min"):
        return -1
    raise ParameterError(f"direction of {name!r} is {d!r}; use '+' (more is better) or '-' "
                         f"(less is better, e.g. cost or receivables).")


def minmax(x: pd.DataFrame, directions: Mapping[str, int]) -> pd.DataFrame:
    """Min–max normalise each column to [0, 1], reversed for negative criteria.

    A constant column becomes all ones (it cannot discriminate, and entropy gives it no weight).
    """
    lo, hi = x.min(), x.max()
    span = (hi - lo).replace(0.0, np.nan)
    out = (x - lo) / span
    for c, d in directions.items():
        if d < 0:
            out[c] = 1.0 - out[c]
    return out.fillna(1.0)


@dataclass
class EntropyResult:
    """Result of :func:`entropy_weights`."""

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series

    def table(self, lang: str = "zh") -> Table:
        frame = pd.DataFrame({"entropy": self.entropy, "divergence": self.divergence,
                              "weight": self.weights})
        frame.index.name = "criterion"
        return Table(frame, "value.entropy", i18n.t("value.entropy", lang), lang=lang)


def entropy_weights(frame: pd.DataFrame, columns=None, *, negative=(), directions=None,
                    normalise: str = "minmax") -> EntropyResult:
    """The entropy weight method (熵权法).

    Steps: normalise each criterion (min–max, reversed for negative criteria; or ``"none"`` for
    already positive benefit data), ``p_ij = x_ij / Σ_i x_ij``, entropy ``e_j = −Σ_i p_ij ln p_ij
    / ln n`` (with 0·ln 0 = 0), divergence ``d_j = 1 − e_j``, weight ``w_j = d_j / Σ d``.

    Parameters
    ----------
    frame : DataFrame
        One row per customer, one column per criterion.
    columns : sequence of str, optional
        The criteria (default every column).
    negative : sequence of str
        Criteria where less is better (cost, receivables, purchase cycle).
    directions : mapping, optional
        Criterion → ``"+"``/``"-"``, an alternative to ``negative``.
    normalise : {"minmax", "none"}

    Returns
    -------
    EntropyResult with ``weights``, ``entropy`` and ``divergence`` (Series by criterion).
    """
    x = _criteria_frame(frame, columns)
    dirs = _directions(list(x.columns), negative, directions)
    if normalise == "minmax":
        z = minmax(x, dirs)
    elif normalise == "none":
        if (x < 0).any().any() or any(d < 0 for d in dirs.values()):
            raise ParameterError("normalise='none' needs non-negative benefit criteria; use "
                                 "normalise='minmax' for negative criteria or values.")
        z = x
    else:
        raise ParameterError(f"normalise={normalise!r}; use 'minmax' or 'none'.")
    colsum = z.sum()
    p = z / colsum.replace(0.0, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = pd.Series(-plogp.sum(axis=0) / math.log(len(z)), index=z.columns)
    e = e.where(colsum > 0, 1.0)  # an all-zero column carries no information
    d = 1.0 - e
    if d.sum() <= 1e-12:
        raise DataError("every criterion is constant across customers: entropy weights are "
                        "undefined. Use weights given directly or AHP.")
    w = d / d.sum()
    return EntropyResult(weights=w.rename("weight"), entropy=e.rename("entropy"),
                         divergence=d.rename("divergence"))


def _weights_for(cols, weights) -> pd.Series:
    """Normalise user weights (mapping, sequence, Series or AhpResult) to the criteria order."""
    if isinstance(weights, (AhpResult, EntropyResult)):
        weights = weights.weights
    if isinstance(weights, (Mapping, pd.Series)):
        w = pd.Series(dict(weights), dtype="float64")
        if set(w.index) != set(cols):
            raise ParameterError(f"weights name {sorted(map(str, w.index))} but the criteria "
                                 f"are {sorted(map(str, cols))}; give one weight per criterion.")
        w = w.reindex(cols)
    else:
        w = pd.Series(np.asarray(weights, dtype="float64").ravel())
        if len(w) != len(cols):
            raise ParameterError(f"{len(w)} weights for {len(cols)} criteria {list(cols)}; give "
                                 f"one weight per criterion.")
        w.index = list(cols)
    if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
        raise ParameterError("weights must be non-negative numbers with a positive sum.")
    return w / w.sum()


def _weight_columns(weights, default):
    """The criteria a weight spec names (its keys), or ``default`` for plain sequences."""
    if isinstance(weights, (AhpResult, EntropyResult)):
        weights = weights.weights
    if isinstance(weights, pd.Series):
        return list(weights.index)
    if isinstance(weights, Mapping):
        return list(weights)
    return list(default)


def weighted_score(frame: pd.DataFrame, weights, *, negative=(), directions=None) -> pd.Series:
    """Weighted sum of min–max normalised criteria, in [0, 1] (negative criteria reversed)."""
    w = _weights_for(_weight_columns(weights, frame.columns), weights)
    x = _criteria_frame(frame, list(w.index))
    z = minmax(x, _directions(list(x.columns), negative, directions))
    return (z * w).sum(axis=1).rename("score")


def topsis(frame: pd.DataFrame, weights=None, *, negative=(), directions=None) -> pd.DataFrame:
    """TOPSIS ranking: closeness to the ideal solution.

    Vector-normalise each criterion, weight it, and measure the distances ``D+`` to the ideal and
    ``D−`` to the anti-ideal point (best/worst per criterion, reversed for negative criteria).
    ``closeness = D− / (D+ + D−)``, 1 for a customer best on every criterion.

    Returns
    -------
    DataFrame with ``d_plus``, ``d_minus``, ``closeness`` and ``rank`` (1 = best).
    """
    x = _criteria_frame(frame, None if weights is None else _weight_columns(weights, frame.columns))
    cols = list(x.columns)
    w = _weights_for(cols, np.ones(len(cols)) if weights is None else weights)
    dirs = _directions(cols, negative, directions)
    norm = np.sqrt((x ** 2).sum()).replace(0.0, np.nan)
    v = (x / norm).fillna(0.0) * w
    sign = pd.Series(dirs)
    best = np.where(sign > 0, v.max(), v.min())
    worst = np.where(sign > 0, v.min(), v.max())
    d_plus = np.sqrt(((v - best) ** 2).sum(axis=1))
    d_minus = np.sqrt(((v - worst) ** 2).sum(axis=1))
    denom = (d_plus + d_minus).replace(0.0, np.nan)
    close = (d_minus / denom).fillna(0.5)
    out = pd.DataFrame({"d_plus": d_plus, "d_minus": d_minus, "closeness": close})
    out["rank"] = out["closeness"].rank(ascending=False, method="min").astype(int)
    return out


# ---------------------------------------------------------------------------------------------
# indicator hierarchy → current / potential value scores
# ---------------------------------------------------------------------------------------------
BUILTIN_SPECS = ("bank",)


def load_spec(spec="bank") -> dict:
    """An indicator hierarchy: a built-in name (``"bank"``, ``crmlab/rules/value_bank.yml``),
    a path to a YAML file, or a mapping (returned as given after checking it is one)."""
    return _load_spec(spec)


@dataclass
class ValueScores:
    """Result of :func:`value_scores`.

    ``scores`` has one column per node of the hierarchy (0–100, higher = more valuable);
    ``weights`` lists every node's children with their local and global weights and source.
    """

    scores: pd.DataFrame
    weights: pd.DataFrame
    ahp: dict = field(default_factory=dict, repr=False)


def _load_spec(spec):
    if isinstance(spec, str) and spec in BUILTIN_SPECS:
        spec = RULES_DIR / f"value_{spec}.yml"
    if isinstance(spec, (str, Path)):
        import yaml

        path = Path(spec)
        if not path.exists():
            raise ParameterError(f"indicator spec file {str(path)!r} does not exist.")
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(spec, Mapping) or not spec:
        raise ParameterError("the indicator spec must be a non-empty mapping "
                             "{group: {indicator: '+' or '-' or {sub-indicators}}}.")
    return spec


def value_scores(frame: pd.DataFrame, spec=None, *, method: str = "entropy", weights=None,
                 ahp=None) -> ValueScores:
    """Score customers on an indicator hierarchy (current value, potential value, ...).

    Leaves are columns of ``frame`` with a direction (``"+"`` more is better, ``"-"`` less is
    better); they are min–max normalised to [0, 1]. Each inner node is the weighted sum of its
    children, and its score is reported ×100.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    spec : mapping, "bank" or path to YAML, optional
        ``{node: {child: "+"|"-"|{...}}}``; default the bank case
        (``crmlab/rules/value_bank.yml``: current value = consumption value, revenue
        contribution, cost; potential value = credit, loyalty (switching cost, continuity,
        tenure), future profit).
    method : {"entropy", "equal"}
        How to weight the children of a node with no weights given. Entropy weights of an inner
        node use its children's scores.
    weights : mapping, optional
        Node name → {child: weight} given directly.
    ahp : mapping, optional
        Node name → pairwise-comparison matrix over its children (in spec order); refused when
        CR ≥ 0.1.

    Returns
    -------
    ValueScores
    """
    spec = _load_spec("bank" if spec is None else spec)
    if method not in ("entropy", "equal"):
        raise ParameterError(f"method={method!r}; use 'entropy' or 'equal' (or weights=/ahp=).")
    weights = dict(weights or {})
    ahp = dict(ahp or {})
    scores: dict[str, pd.Series] = {}
    rows: list[dict] = []
    ahp_results: dict[str, AhpResult] = {}
    used: set[str] = set()

    def node(name: str, children: Mapping) -> pd.Series:
        used.add(name)
        if not isinstance(children, Mapping) or not children:
            raise ParameterError(f"node {name!r} of the indicator spec has no indicators.")
        parts = {}
        for child, sub in children.items():
            if isinstance(sub, Mapping):
                parts[child] = node(child, sub) / 100.0
            else:
                if child not in frame.columns:
                    raise DataError(f"indicator {child!r} (under {name!r}) is not a column of "
                                    f"the data; it has {list(frame.columns)[:12]}.")
                x = _criteria_frame(frame, [child])
                parts[child] = minmax(x, {child: _sign(sub, child)})[child]
        z = pd.DataFrame(parts)
        if name in weights:
            w, source = _weights_for(list(z.columns), weights[name]), "given"
        elif name in ahp:
            res = ahp_weights(ahp[name], labels=list(z.columns))
            ahp_results[name] = res
            w, source = res.weights, "ahp"
        elif method == "entropy" and len(z.columns) > 1:
            w, source = entropy_weights(z, normalise="none").weights, "entropy"
        else:
            w, source = pd.Series(1.0 / len(z.columns), index=z.columns), "equal"
        for child in z.columns:
            rows.append({"node": name, "indicator": child, "weight": float(w[child]),
                         "source": source})
        s = (z * w).sum(axis=1) * 100.0
        scores[name] = s.rename(name)
        return s

    for top, children in spec.items():
        node(top, children)
    unknown = (set(weights) | set(ahp)) - used
    if unknown:
        raise ParameterError(f"weights/ahp given for {sorted(unknown)}, which are not nodes of "
                             f"the spec ({sorted(used)}).")
    wt = pd.DataFrame(rows)
    # global weight of each leaf/inner node = product of local weights down the tree
    local = {(r["node"], r["indicator"]): r["weight"] for r in rows}
    parent = {r["indicator"]: r["node"] for r in rows}

    def global_w(ind):
        g, cur = 1.0, ind
        while cur in parent:
            g *= local[(parent[cur], cur)]
            cur = parent[cur]
        return g

    wt["global_weight"] = [global_w(i) for i in wt["indicator"]]
    order = list(spec) + [k for k in scores if k not in spec]
    return ValueScores(scores=pd.DataFrame({k: scores[k] for k in order}), weights=wt,
                       ahp=ahp_results)


# ---------------------------------------------------------------------------------------------
# customer value matrix
# ---------------------------------------------------------------------------------------------
@cache
def _matrix_rules_default() -> tuple:
    import yaml

    data = yaml.safe_load((RULES_DIR / "value_matrix.yml").read_text(encoding="utf-8"))
    return tuple(data["classes"])


def matrix_classes(classes=None) -> pd.DataFrame:
    """The value-matrix classes and their strategies as a frame (zh and en columns)."""
    cls = _check_classes(classes)
    return pd.DataFrame([{"key": c["key"], "current": c["current"], "potential": c["potential"],
                          "zh": c["zh"], "en": c["en"], "strategy_zh": c["strategy"]["zh"],
                          "strategy_en": c["strategy"]["en"]} for c in cls]).set_index("key")


def _check_classes(classes):
    cls = list(_matrix_rules_default() if classes is None else
               (classes["classes"] if isinstance(classes, Mapping) else classes))
    seen = {}
    for c in cls:
        for k in ("key", "current", "potential", "zh", "en"):
            if k not in c:
                raise ParameterError(f"value-matrix class {c!r} lacks {k!r}.")
        pos = (c["current"], c["potential"])
        if any(p not in ("high", "low") for p in pos):
            raise ParameterError(f"class {c['key']!r}: current/potential must be 'high' or 'low'.")
        if pos in seen:
            raise ParameterError(f"classes {seen[pos]!r} and {c['key']!r} both claim "
                                 f"current={pos[0]}, potential={pos[1]}.")
        seen[pos] = c["key"]
        c.setdefault("strategy", {"zh": "", "en": ""})
    if len(seen) != 4:
        raise ParameterError("the value matrix needs exactly four classes, one per "
                             "(current, potential) in {high, low}².")
    return cls


def _split_value(s: pd.Series, split, name: str) -> float:
    if split == "median":
        return float(s.median())
    if split == "mean":
        return float(s.mean())
    try:
        return float(split)
    except (TypeError, ValueError):
        raise ParameterError(f"split for {name} is {split!r}; use 'median', 'mean' or a "
                             f"number.") from None


def value_matrix(current, potential, *, split="median", classes=None,
                 lang: str = "zh") -> pd.DataFrame:
    """The customer value matrix: a 2×2 of current value against potential value.

    A customer is *high* on a dimension when strictly above the split (median, mean, or a given
    threshold); ``split`` may be one value for both or a pair ``(current, potential)``.

    Parameters
    ----------
    current, potential : Series
        Scores indexed by customer (e.g. from :func:`value_scores`).
    split : "median", "mean", float, or a pair of these
    classes : list of dict or mapping, optional
        Class table; default ``crmlab/rules/value_matrix.yml`` (top / high-end / mid / low with
        strategies in zh/en).
    lang : {"zh", "en"}
        Language of ``label`` and ``strategy``.

    Returns
    -------
    DataFrame indexed by customer with ``current``, ``potential``, ``value_class`` (class key),
    ``label`` and ``strategy``. ``.attrs`` holds the two thresholds.
    """
    i18n.check_lang(lang)
    c = _values(current, "current", allow_negative=True)
    p = _values(potential, "potential", allow_negative=True)
    if not c.index.equals(p.index):
        p = p.reindex(c.index)
        if p.isna().any():
            raise DataError("current and potential do not cover the same customers; align them.")
    sc, sp = split if isinstance(split, (tuple, list)) else (split, split)
    tc, tp = _split_value(c, sc, "current"), _split_value(p, sp, "potential")
    cls = _check_classes(classes)
    lookup = {(k["current"], k["potential"]): k for k in cls}
    hi_c = np.where(c.to_numpy() > tc, "high", "low")
    hi_p = np.where(p.to_numpy() > tp, "high", "low")
    keys = [lookup[(a, b)]["key"] for a, b in zip(hi_c, hi_p)]
    by_key = {k["key"]: k for k in cls}
    out = pd.DataFrame({"current": c, "potential": p,
                        "value_class": pd.Categorical(keys, categories=[k["key"] for k in cls])},
                       index=c.index)
    out["label"] = out["value_class"].map({k: v[lang] for k, v in by_key.items()}).astype(str)
    out["strategy"] = out["value_class"].map(
        {k: v["strategy"][lang] for k, v in by_key.items()}).astype(str)
    out.attrs["thresholds"] = {"current": tc, "potential": tp}
    return out


def value_matrix_summary(matrix: pd.DataFrame, revenue=None, lang: str = "zh") -> Table:
    """Counts (and revenue shares) per value-matrix class, with the strategy of each class."""
    g = matrix.groupby("value_class", observed=False)
    frame = pd.DataFrame({"n_customers": g.size()})
    frame["share_customers"] = frame["n_customers"] / len(matrix)
    if revenue is not None:
        rev = _values(revenue, "revenue").reindex(matrix.index)
        frame["share_revenue"] = rev.groupby(matrix["value_class"], observed=False).sum() / rev.sum()
    first = matrix.drop_duplicates("value_class").set_index("value_class")
    frame["strategy"] = first["strategy"].reindex(frame.index).fillna("")
    frame.index = frame.index.map(
        lambda k: first["label"].get(k, k) if k in first.index else k).astype(str)
    frame.index.name = "value_class"
    return Table(frame, "value.matrix_classes", i18n.t("value.matrix_classes", lang), lang=lang)


# ---------------------------------------------------------------------------------------------
# survey analysis
# ---------------------------------------------------------------------------------------------
def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's α of a set of items: ``k/(k−1) · (1 − Σ var(item) / var(total))``."""
    x = _criteria_frame(items)
    k = x.shape[1]
    if k < 2:
        raise ParameterError("Cronbach's α needs at least two items.")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise DataError("the items' total score is constant: α is undefined.")
    return float(k / (k - 1) * (1 - x.var(ddof=1).sum() / total_var))


def reliability(survey: pd.DataFrame, constructs=None, lang: str = "zh") -> Table:
    """Cronbach's α per construct (≥ 0.7 is the usual bar)."""
    constructs = default_constructs(survey) if constructs is None else constructs
    rows = []
    for name, items in constructs.items():
        rows.append({"construct": name, "n_items": len(items),
                     "alpha": cronbach_alpha(survey[list(items)]),
                     "mean": float(survey[list(items)].astype(float).mean(axis=1).mean())})
    frame = pd.DataFrame(rows).set_index("construct")
    return Table(frame, "value.reliability", i18n.t("value.reliability", lang), lang=lang)


def factor_loadings(survey: pd.DataFrame, items=None, n_factors: int | None = None, *,
                    rotation: str | None = "varimax", seed: int = 0) -> pd.DataFrame:
    """Exploratory factor analysis (scikit-learn, maximum likelihood) on standardised items.

    Returns the loadings, one row per item and one column per factor (``F1``..). By default
    ``n_factors`` is the number of constructs found by :func:`default_constructs`.
    """
    from sklearn.decomposition import FactorAnalysis

    if items is None:
        groups = default_constructs(survey)
        items = [c for cols in groups.values() for c in cols]
        n_factors = len(groups) if n_factors is None else n_factors
    x = _criteria_frame(survey, items)
    if n_factors is None or not 1 <= int(n_factors) <= x.shape[1]:
        raise ParameterError(f"n_factors={n_factors!r} must be between 1 and the number of "
                             f"items ({x.shape[1]}).")
    sd = x.std(ddof=0)
    if (sd == 0).any():
        raise DataError(f"items {list(sd.index[sd == 0])} are constant; drop them.")
    z = (x - x.mean()) / sd
    fa = FactorAnalysis(n_components=int(n_factors), rotation=rotation, random_state=seed)
    fa.fit(z.to_numpy())
    load = pd.DataFrame(fa.components_.T, index=x.columns,
                        columns=[f"F{i + 1}" for i in range(int(n_factors))])
    # sign convention: each factor's largest loading is positive
    flip = np.sign(load.apply(lambda col: col[col.abs().idxmax()]))
    return load * flip


def loyalty_regression(survey: pd.DataFrame, constructs=None, *, outcome: str = "loyalty",
                       predictors=("satisfaction", "perceived_value")):
    """OLS of loyalty on satisfaction and perceived value (construct means), statsmodels.

    ``perceived_value`` is built, when it is not itself a construct, as customer delivered value
    (:func:`delivered_value`: total value − total cost). Returns the fitted statsmodels results
    (``.summary()``, ``.params``, ``.pvalues``, ``.rsquared``).
    """
    import statsmodels.api as sm

    constructs = default_constructs(survey) if constructs is None else constructs
    data = _construct_means(survey, {k: v for k, v in constructs.items()
                                     if k in set(predictors) | {outcome}})
    if "perceived_value" in predictors and "perceived_value" not in data.columns:
        data["perceived_value"] = delivered_value(survey, constructs=constructs)["delivered_value"]
    missing = [c for c in (outcome, *predictors) if c not in data.columns]
    if missing:
        raise DataError(f"constructs {missing} not found in the survey; name their items in "
                        f"constructs=.")
    x = sm.add_constant(data[list(predictors)])
    return sm.OLS(data[outcome], x).fit()


# ---------------------------------------------------------------------------------------------
# loyalty ladder
# ---------------------------------------------------------------------------------------------
LADDER = ("prospect", "first_time", "repeat", "loyal", "advocate")


def loyalty_ladder(n_purchases, *, loyal_at: int = 4, referrals=None) -> pd.Series:
    """Loyalty-ladder stage per customer from purchase counts (and referrals, if known).

    ``0`` purchases → prospect, ``1`` → first-time, ``2 .. loyal_at−1`` → repeat, ``≥ loyal_at``
    → loyal; a loyal customer with at least one referral is an advocate.
    Returns an ordered categorical with keys ``stage.<name>``.
    """
    n = _values(n_purchases, "n_purchases")
    if loyal_at < 3:
        raise ParameterError("loyal_at must be at least 3 (two purchases are 'repeat').")
    idx = np.select([n.to_numpy() <= 0, n.to_numpy() < 2, n.to_numpy() < loyal_at],
                    [0, 1, 2], default=3)
    if referrals is not None:
        ref = _values(referrals, "referrals").reindex(n.index).fillna(0.0).to_numpy()
        idx = np.where((idx == 3) & (ref > 0), 4, idx)
    cats = [f"stage.{s}" for s in LADDER]
    return pd.Series(pd.Categorical.from_codes(idx, categories=cats, ordered=True),
                     index=n.index, name="stage")


def ladder_transitions(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Row-normalised transition shares between two ladder snapshots of the same customers."""
    after = after.reindex(before.index)
    return pd.crosstab(before, after, normalize="index", dropna=False)


# ---------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------
def plot_lorenz(values, lang: str = "zh", ax=None):
    """Lorenz curve with the line of equality; the caption carries the Gini coefficient."""
    from .plots import figure

    lc = lorenz(values)
    g = gini(values)
    cap = i18n.t("value.lorenz", lang, gini=g)
    fig, ax = figure("value.lorenz", cap) if ax is None else (ax.figure, ax)
    ax.plot(lc["cum_customers"], lc["cum_value"], lw=2, label=cap)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label=i18n.t("value.equality", lang))
    ax.set_xlabel(i18n.t("value.cum_customers", lang))
    ax.set_ylabel(i18n.t("value.cum_value", lang))
    ax.legend(loc="upper left")
    return fig


def plot_whale(curve: WhaleCurve, lang: str = "zh"):
    """The whale curve with its peak marked and the 100% line."""
    from .plots import figure

    fig, ax = figure("value.whale", i18n.t("value.whale", lang))
    c = curve.curve
    ax.plot(np.r_[0, c["share_customers"]], np.r_[0, c["cum_share"]], lw=2)
    ax.axhline(1.0, ls="--", color="grey")
    ax.scatter([curve.peak_at], [curve.peak_share], color="C3", zorder=3,
               label=i18n.t("value.peak", lang, peak=curve.peak_share))
    ax.set_xlabel(i18n.t("value.customers_ranked", lang))
    ax.set_ylabel(i18n.t("value.cum_profit", lang))
    ax.legend(loc="lower center")
    return fig


def plot_pyramid(result: Pyramid, lang: str = "zh"):
    """The pyramid as centred horizontal bars (width = share of revenue), top tier on top."""
    from .plots import figure

    fig, ax = figure("value.pyramid", i18n.t("value.pyramid", lang))
    s = result.summary
    y = np.arange(len(s))[::-1]
    widths = s["share_revenue"].to_numpy()
    ax.barh(y, widths, left=-widths / 2, color=[f"C{i}" for i in range(len(s))])
    for yi, (key, row) in zip(y, s.iterrows()):
        ax.text(0, yi, f"{i18n.t(key, lang)}  {row['share_customers']:.0%} / "
                       f"{row['share_revenue']:.0%}", ha="center", va="center")
    ax.set_yticks([])
    ax.set_xticks([])  # centred bars: the width, not the position, is the revenue share
    ax.grid(False)
    ax.set_xlabel(i18n.t("col.share_revenue", lang))
    return fig


def plot_value_matrix(matrix: pd.DataFrame, lang: str = "zh"):
    """Scatter of current against potential value, split lines and class colours."""
    from .plots import figure

    fig, ax = figure("value.matrix", i18n.t("value.matrix", lang))
    th = matrix.attrs.get("thresholds", {})
    for i, (key, grp) in enumerate(matrix.groupby("value_class", observed=True)):
        ax.scatter(grp["current"], grp["potential"], s=10, alpha=0.6, color=f"C{i}",
                   label=grp["label"].iloc[0])
    if th:
        ax.axvline(th["current"], color="grey", ls="--")
        ax.axhline(th["potential"], color="grey", ls="--")
    ax.set_xlabel(i18n.t("value.current", lang))
    ax.set_ylabel(i18n.t("value.potential", lang))
    ax.legend(markerscale=2, fontsize="small")
    return fig


def plot_delivered_value(dv: pd.DataFrame, lang: str = "zh",
                         value=VALUE_COMPONENTS, cost=COST_COMPONENTS):
    """Waterfall of mean components: value parts up, cost parts down, delivered value last."""
    from .plots import figure

    fig, ax = figure("value.delivered", i18n.t("value.delivered", lang))
    means = dv.mean()
    steps = [(k, means[k]) for k in value] + [(k, -means[k]) for k in cost]
    level = 0.0
    for i, (k, v) in enumerate(steps):
        ax.bar(i, v, bottom=level, color="C2" if v >= 0 else "C3")
        level += v
    ax.bar(len(steps), means["delivered_value"], color="C0")
    ax.set_xticks(range(len(steps) + 1))
    ax.set_xticklabels([label(k, lang) for k, _ in steps] + [i18n.t("value.delivered_value", lang)],
                       rotation=30, ha="right")
    return fig


def item_label(item, lang: str = "zh"):
    """Display name of a survey item: ``product_value_2`` reads 产品价值2 / Product value 2.

    An item named ``<construct>_<number>`` whose construct has a label is shown as that label
    and the number; any other name goes through :func:`crmlab.tables.label`.
    """
    if isinstance(item, str):
        base, _, num = item.rpartition("_")
        if base and num.isdigit() and label(base, lang) != base:
            sep = "" if i18n.check_lang(lang) == "zh" else " "
            return f"{label(base, lang)}{sep}{num}"
    return label(item, lang)


def plot_loadings(loadings: pd.DataFrame, lang: str = "zh"):
    """Heatmap of factor loadings (items × factors)."""
    import seaborn as sns

    from .plots import figure

    fig, ax = figure("value.loadings", i18n.t("value.loadings", lang),
                     figsize=(6.0, max(3.0, 0.25 * len(loadings))))
    loadings = loadings.rename(index=lambda item: item_label(item, lang))
    sns.heatmap(loadings, ax=ax, cmap="RdBu_r", center=0, vmin=-1, vmax=1, annot=len(loadings) <= 30,
                fmt=".2f", cbar=True)
    ax.set_xlabel(i18n.t("value.factor", lang))
    ax.set_ylabel(i18n.t("value.item", lang))
    return fig
