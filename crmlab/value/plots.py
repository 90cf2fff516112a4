"""Figures of the value analyses, with zh/en labels: :func:`plot_lorenz`, :func:`plot_whale`,
:func:`plot_pyramid`, :func:`plot_value_matrix`, :func:`plot_delivered_value` and
:func:`plot_loadings`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..plots import figure, styled
from ..tables import label
from .concentration import Pyramid, WhaleCurve, gini, lorenz
from .survey import COST_COMPONENTS, VALUE_COMPONENTS

i18n.register({
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
    "value.delivered": {"zh": "顾客让渡价值构成", "en": "Customer delivered value decomposition"},
    "value.total_value": {"zh": "顾客总价值", "en": "Total customer value"},
    "value.total_cost": {"zh": "顾客总成本", "en": "Total customer cost"},
    "value.delivered_value": {"zh": "顾客让渡价值", "en": "Customer delivered value"},
    "value.loadings": {"zh": "因子载荷", "en": "Factor loadings"},
    "value.factor": {"zh": "因子", "en": "Factor"},
    "value.item": {"zh": "题项", "en": "Item"},
})


@styled
def plot_lorenz(values, lang: str = "zh", ax=None):
    """Lorenz curve with the line of equality; the caption carries the Gini coefficient."""
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


@styled
def plot_whale(curve: WhaleCurve, lang: str = "zh"):
    """The whale curve with its peak marked and the 100% line."""
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


@styled
def plot_pyramid(result: Pyramid, lang: str = "zh"):
    """The pyramid as centred horizontal bars (width = share of revenue), top tier on top."""
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


@styled
def plot_value_matrix(matrix: pd.DataFrame, lang: str = "zh"):
    """Scatter of current against potential value, split lines and class colours."""
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


@styled
def plot_delivered_value(dv: pd.DataFrame, lang: str = "zh",
                         value=VALUE_COMPONENTS, cost=COST_COMPONENTS):
    """Waterfall of mean components: value parts up, cost parts down, delivered value last."""
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


@styled
def plot_loadings(loadings: pd.DataFrame, lang: str = "zh"):
    """Heatmap of factor loadings (items × factors)."""
    import seaborn as sns

    fig, ax = figure("value.loadings", i18n.t("value.loadings", lang),
                     figsize=(6.0, max(3.0, 0.25 * len(loadings))))
    loadings = loadings.rename(index=lambda item: item_label(item, lang))
    sns.heatmap(loadings, ax=ax, cmap="RdBu_r", center=0, vmin=-1, vmax=1, annot=len(loadings) <= 30,
                fmt=".2f", cbar=True)
    ax.set_xlabel(i18n.t("value.factor", lang))
    ax.set_ylabel(i18n.t("value.item", lang))
    return fig
