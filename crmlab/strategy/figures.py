"""Figures for strategy evaluation, labelled in zh or en (built with :func:`crmlab.plots.figure`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..plots import figure, label, styled
from ..tables import label as col_label

i18n.register({
    "strategy.fig.forest": {"zh": "活动效应及置信区间", "en": "Campaign effects with confidence intervals"},
    "strategy.fig.effect": {"zh": "效应（处理−对照）", "en": "Effect (treatment − control)"},
    "strategy.fig.qini": {"zh": "Qini 曲线与增益曲线", "en": "Qini and uplift curves"},
    "strategy.fig.fraction": {"zh": "目标客户比例", "en": "Fraction of customers targeted"},
    "strategy.fig.qini_y": {"zh": "增量结果（Qini）", "en": "Incremental outcome (Qini)"},
    "strategy.fig.uplift_y": {"zh": "增量结果（增益曲线）", "en": "Incremental outcome (uplift curve)"},
    "strategy.fig.profit": {"zh": "不同目标比例下的活动利润", "en": "Campaign profit by fraction targeted"},
    "strategy.fig.profit_y": {"zh": "期望利润", "en": "Expected profit"},
    "strategy.fig.best": {"zh": "利润最大点", "en": "Profit-maximising point"},
    "strategy.fig.ci": {"zh": "{level}% 置信区间", "en": "{level}% interval"},
    "strategy.fig.migration": {"zh": "客户迁移矩阵（转移概率）", "en": "Customer migration matrix (transition probabilities)"},
    "strategy.fig.from": {"zh": "本期状态", "en": "State this period"},
    "strategy.fig.to": {"zh": "下期状态", "en": "State next period"},
    "strategy.fig.equity": {"zh": "客户资产情景分析", "en": "Customer equity scenarios"},
    "strategy.fig.equity_y": {"zh": "客户资产", "en": "Customer equity"},
    "strategy.fig.budget": {"zh": "各客户群预算分配", "en": "Budget allocation by segment"},
    "strategy.fig.budget_x": {"zh": "预算", "en": "Budget"},
    "strategy.fig.full_cost": {"zh": "全覆盖成本", "en": "Full cost"},
    "strategy.fig.case": {"zh": "资源再分配前后的利润（模拟）", "en": "Profit before and after re-allocation (simulated)"},
    "strategy.fig.density": {"zh": "模拟次数", "en": "Simulations"},
    "strategy.fig.gain": {"zh": "累积增益曲线与提升度", "en": "Cumulative gain and lift"},
    "strategy.fig.gain_y": {"zh": "累积增益（占全部增量的比例）", "en": "Cumulative gain (share of all incremental outcome)"},
    "strategy.fig.lift_y": {"zh": "提升度", "en": "Lift"},
    "strategy.q.equity_before": {"zh": "当前客户资产", "en": "Equity now"},
    "strategy.q.equity_after": {"zh": "保留率提升后", "en": "Equity with higher retention"},
    "strategy.q.baseline": {"zh": "基准", "en": "Baseline"},
})


@styled
def forest_plot(results: pd.DataFrame, *, lang: str = "zh"):
    """Effect-size forest plot of one or more :func:`ab_test` results (concatenated)."""
    fig, ax = figure("strategy_forest", label("strategy.fig.forest", lang),
                     figsize=(7.0, 0.6 + 0.5 * len(results)))
    y = np.arange(len(results))[::-1]
    err = [results["effect"] - results["ci_low"], results["ci_high"] - results["effect"]]
    ax.errorbar(results["effect"], y, xerr=err, fmt="o", color="C0", capsize=4)
    ax.set_yticks(y, [f"{col_label(o, lang)} · {tname}"
                      for o, tname in zip(results["outcome"], results["test"])])
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_xlabel(label("strategy.fig.effect", lang))
    return fig


@styled
def qini_plot(results: dict, *, lang: str = "zh"):
    """Qini and uplift curves of one or more :class:`QiniResult` (``{name: result}``)."""
    fig, axes = figure("strategy_qini", label("strategy.fig.qini", lang), figsize=(10, 4.2), ncols=2)
    for i, (name, res) in enumerate(results.items()):
        c = res.curve
        axes[0].plot(c["fraction"], c["qini"], label=str(col_label(name, lang)), color=f"C{i}")
        axes[1].plot(c["fraction"], c["uplift_curve"], label=str(col_label(name, lang)), color=f"C{i}")
        axes[0].plot(c["fraction"], c["random_qini"], color="grey", lw=0.8, ls="--")
        axes[1].plot(c["fraction"], c["random_uplift"], color="grey", lw=0.8, ls="--")
    for ax, key in zip(axes, ("strategy.fig.qini_y", "strategy.fig.uplift_y")):
        ax.set_xlabel(label("strategy.fig.fraction", lang))
        ax.set_ylabel(label(key, lang))
    axes[0].legend()
    return fig


@styled
def profit_plot(result, *, lang: str = "zh", alpha: float = 0.05):
    """Profit against the fraction targeted, with the bootstrap band and the best point."""
    c = result.curve
    fig, ax = figure("strategy_profit", label("strategy.fig.profit", lang))
    ax.plot(c["fraction"], c["profit"], marker="o", ms=3, color="C0")
    if "profit_ci_low" in c:
        ax.fill_between(c["fraction"], c["profit_ci_low"], c["profit_ci_high"], alpha=0.25, color="C0",
                        label=label("strategy.fig.ci", lang, level=f"{100 * (1 - alpha):g}"))
    b = result.best
    ax.axvline(b["fraction"], color="C3", ls="--", label=label("strategy.fig.best", lang))
    if "fraction_ci_low" in b:
        ax.axvspan(b["fraction_ci_low"], b["fraction_ci_high"], color="C3", alpha=0.08)
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel(label("strategy.fig.fraction", lang))
    ax.set_ylabel(label("strategy.fig.profit_y", lang))
    ax.legend()
    return fig


@styled
def gain_lift_plot(results: dict, *, lang: str = "zh"):
    """Cumulative gain and lift of one or more :func:`policy_profit` results (``{name: result}``)."""
    fig, axes = figure("strategy_gain", label("strategy.fig.gain", lang), figsize=(10, 4.2), ncols=2)
    for i, (name, res) in enumerate(results.items()):
        c = res.curve
        name = str(col_label(name, lang))
        axes[0].plot(np.r_[0, c["fraction"]], np.r_[0, c["gain"]], marker="o", ms=3, label=name, color=f"C{i}")
        axes[1].plot(c["fraction"], c["lift"], marker="o", ms=3, label=name, color=f"C{i}")
    axes[0].plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    axes[1].axhline(1, color="grey", lw=0.8, ls="--")
    for ax, key in zip(axes, ("strategy.fig.gain_y", "strategy.fig.lift_y")):
        ax.set_xlabel(label("strategy.fig.fraction", lang))
        ax.set_ylabel(label(key, lang))
    axes[0].legend()
    return fig


@styled
def migration_heatmap(transition: pd.DataFrame, *, lang: str = "zh"):
    """Heatmap of a transition matrix."""
    import seaborn as sns

    fig, ax = figure("strategy_migration", label("strategy.fig.migration", lang), figsize=(5.6, 4.6))
    sns.heatmap(pd.DataFrame(transition), annot=True, fmt=".2f", cmap="Blues", vmin=0, vmax=1, ax=ax)
    ax.set_ylabel(label("strategy.fig.from", lang))
    ax.set_xlabel(label("strategy.fig.to", lang))
    return fig


@styled
def equity_plot(scenarios: pd.DataFrame, *, lang: str = "zh"):
    """Bar chart of customer equity by scenario; ``scenarios`` has ``mean`` and optionally
    ``ci_low``/``ci_high`` (one row per scenario), e.g. equity rows of
    :func:`retention_scenario` or a :func:`migration_scenario` ``equity`` row turned into a frame."""
    fig, ax = figure("strategy_equity", label("strategy.fig.equity", lang))
    x = np.arange(len(scenarios))
    mean = scenarios["mean"].to_numpy(dtype=float)
    yerr = None
    if {"ci_low", "ci_high"} <= set(scenarios.columns):
        yerr = [mean - scenarios["ci_low"].to_numpy(), scenarios["ci_high"].to_numpy() - mean]
    ax.bar(x, mean, yerr=yerr, capsize=5, color=[f"C{i}" for i in range(len(x))])
    names = [i18n.t(f"strategy.q.{i}", lang) if i18n.has(f"strategy.q.{i}") else str(i)
             for i in scenarios.index]
    ax.set_xticks(x, names)
    ax.set_ylabel(label("strategy.fig.equity_y", lang))
    return fig


@styled
def budget_plot(allocation: pd.DataFrame, *, lang: str = "zh"):
    """Horizontal bars: budget allocated vs full cost per segment (a :func:`plan` result)."""
    fig, ax = figure("strategy_budget", label("strategy.fig.budget", lang),
                     figsize=(7.0, 0.8 + 0.45 * len(allocation)))
    y = np.arange(len(allocation))[::-1]
    ax.barh(y, allocation["full_cost"], color="lightgrey", label=label("strategy.fig.full_cost", lang))
    ax.barh(y, allocation["allocation"], color="C0", label=label("strategy.col.allocation", lang))
    ax.set_yticks(y, allocation["label"])
    ax.set_xlabel(label("strategy.fig.budget_x", lang))
    ax.legend()
    return fig


@styled
def case_plot(result, *, lang: str = "zh"):
    """Histogram of simulated profit before and after the Case 3-1 re-allocation."""
    fig, ax = figure("strategy_case", label("strategy.fig.case", lang))
    d = result.draws
    bins = np.histogram_bin_edges(np.r_[d["before"], d["after"]], bins=40)
    ax.hist(d["before"], bins=bins, alpha=0.6, label=label("strategy.case.before", lang))
    ax.hist(d["after"], bins=bins, alpha=0.6, label=label("strategy.case.after", lang))
    ax.set_ylabel(label("strategy.fig.density", lang))
    ax.set_xlabel(label("strategy.fig.profit_y", lang))
    ax.legend()
    return fig
