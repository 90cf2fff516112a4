"""Figures for the CLV chapter, labelled in Chinese or English (``lang="zh"|"en"``).

Each function takes results (tables from :mod:`crmlab.clv.validation`, a fitted model or a CLV
frame) and returns a matplotlib Figure made with :func:`crmlab.plots.figure`, so the report can
number it by its ``crmlab_key``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from .. import i18n
from ..plots import figure, styled
from ..units import UNIT_NAMES

i18n.register({
    "clv.fig_tracking_cum": {"zh": "累计重复购买次数：实际与预测", "en": "Cumulative repeat transactions: actual vs predicted"},
    "clv.fig_tracking_inc": {"zh": "每期重复购买次数：实际与预测", "en": "Repeat transactions per period: actual vs predicted"},
    "clv.fig_cond": {"zh": "按校准期频次分组的验证期购买次数", "en": "Holdout purchases by calibration frequency"},
    "clv.fig_palive": {"zh": "不同频次与最近购买时间下的存活概率", "en": "P(alive) by frequency and recency"},
    "clv.fig_expected": {"zh": "未来 {t:g} {unit}内的期望购买次数", "en": "Expected purchases in the next {t:g} {unit}s"},
    "clv.fig_clv": {"zh": "客户终生价值分布（含95%区间）", "en": "Distribution of CLV (with 95% intervals)"},
    "clv.calibration_end": {"zh": "校准期结束", "en": "end of calibration"},
    "clv.transactions": {"zh": "重复购买次数", "en": "repeat transactions"},
    "clv.mean_holdout": {"zh": "验证期平均购买次数", "en": "mean holdout purchases"},
    "clv.recency_axis": {"zh": "最近一次购买时的客户年龄（{unit}）", "en": "age at last purchase ({unit}s)"},
    "clv.frequency_axis": {"zh": "重复购买次数", "en": "repeat purchases"},
    "clv.p_alive": {"zh": "存活概率", "en": "P(alive)"},
    "clv.clv_value": {"zh": "客户终生价值", "en": "CLV"},
    "clv.customer_rank": {"zh": "客户排名（CLV 从高到低）", "en": "customer rank (highest CLV first)"},
    "clv.log_scale": {"zh": "（对数刻度）", "en": " (log scale)"},
    "clv.interval95": {"zh": "95%区间", "en": "95% interval"},
    "clv.fig_sbg": {"zh": "sBG 留存曲线：预测与实际", "en": "sBG survival: projected and actual"},
    "clv.sbg_projected": {"zh": "预测", "en": "Projected"},
    "clv.sbg_fit_end": {"zh": "估计期结束", "en": "end of fitting period"},
    "clv.sbg_survival": {"zh": "存活比例", "en": "Share surviving"},
    "clv.contract_period": {"zh": "合约期", "en": "Contract period"},
})


def _unit(unit, lang):
    return UNIT_NAMES.get(unit, {"zh": str(unit), "en": str(unit)})[lang]


@styled
def plot_tracking(track: pd.DataFrame, *, kind: str = "cumulative", lang: str = "zh"):
    """Actual vs predicted repeat transactions per period from :func:`crmlab.clv.tracking`."""
    i18n.check_lang(lang)
    if kind not in ("cumulative", "incremental"):
        from ..errors import ParameterError

        raise ParameterError(f"kind={kind!r}; use 'cumulative' or 'incremental'.")
    word = i18n.t(f"clv.{kind}", lang)
    act = f"{i18n.t('clv.actual', lang)} ({word})"
    pred = f"{i18n.t('clv.predicted', lang)} ({word})"
    key = "clv.fig_tracking_cum" if kind == "cumulative" else "clv.fig_tracking_inc"
    fig, ax = figure(key.replace("clv.fig_", "clv-"), i18n.t(key, lang))
    x = track.index.to_numpy()
    ax.plot(x, track[act], label=i18n.t("clv.actual", lang), color="black")
    ax.plot(x, track[pred], label=i18n.t("clv.predicted", lang), linestyle="--", color="C0")
    cal = track.attrs.get("calibration_end_period")
    if cal is not None:
        ax.axvline(cal, color="grey", linestyle=":", label=i18n.t("clv.calibration_end", lang))
    unit = _unit(track.attrs.get("time_unit", "W"), lang)
    ax.set_xlabel(f"{i18n.t('clv.period', lang)} ({unit})" if lang == "en" else f"{unit}")
    ax.set_ylabel(i18n.t("clv.transactions", lang))
    ax.legend()
    return fig


@styled
def plot_conditional_by_frequency(table: pd.DataFrame, *, lang: str = "zh"):
    """Bars of actual vs predicted mean holdout purchases by calibration frequency
    (the table of :func:`crmlab.clv.conditional_by_frequency` in the same ``lang``)."""
    i18n.check_lang(lang)
    fig, ax = figure("clv-conditional", i18n.t("clv.fig_cond", lang))
    act, pred = i18n.t("clv.actual", lang), i18n.t("clv.predicted", lang)
    long = table[[act, pred]].reset_index().melt(id_vars=table.index.name, var_name="", value_name="v")
    sns.barplot(data=long, x=table.index.name, y="v", hue="", ax=ax)
    ax.set_ylabel(i18n.t("clv.mean_holdout", lang))
    return fig


def _grid(model, max_frequency, T):
    x = np.repeat(np.arange(max_frequency + 1.0), 41)
    tx = np.tile(np.linspace(0, T, 41), max_frequency + 1)
    tx = np.where(x == 0, 0.0, tx)
    return x, tx, np.full_like(x, float(T))


@styled
def plot_p_alive_matrix(model, *, T: float, max_frequency: int = 20, lang: str = "zh"):
    """Heatmap of P(alive) over frequency and recency for customers of age ``T``."""
    i18n.check_lang(lang)
    x, tx, TT = _grid(model, max_frequency, T)
    z = model._k_p_alive(model._baseline(), x, tx, TT).reshape(max_frequency + 1, 41)
    return _heat(z, T, model.time_unit_, "clv-p-alive", i18n.t("clv.fig_palive", lang),
                 i18n.t("clv.p_alive", lang), lang)


@styled
def plot_expected_matrix(model, *, t: float, T: float, max_frequency: int = 20, lang: str = "zh"):
    """Heatmap of expected purchases in the next ``t`` periods over frequency and recency."""
    i18n.check_lang(lang)
    x, tx, TT = _grid(model, max_frequency, T)
    z = model._k_cond(model._baseline(), float(t), x, tx, TT).reshape(max_frequency + 1, 41)
    unit = _unit(model.time_unit_, lang)
    cap = i18n.t("clv.fig_expected", lang, t=t, unit=unit)
    return _heat(z, T, model.time_unit_, "clv-expected", cap, cap, lang)


def _heat(z, T, unit, key, caption, cbar, lang):
    fig, ax = figure(key, caption, figsize=(7.0, 5.0))
    frame = pd.DataFrame(z[::-1], index=np.arange(z.shape[0])[::-1],
                         columns=np.round(np.linspace(0, T, z.shape[1]), 1))
    sns.heatmap(frame, ax=ax, cmap="viridis", cbar_kws={"label": cbar}, xticklabels=8, yticklabels=4)
    ax.set_xlabel(i18n.t("clv.recency_axis", lang, unit=_unit(unit, lang)))
    ax.set_ylabel(i18n.t("clv.frequency_axis", lang))
    return fig


@styled
def plot_clv_distribution(clv_frame: pd.DataFrame, *, lang: str = "zh", max_points: int = 2000):
    """Customers ranked by CLV with their 95% intervals (from ``model.clv(..., interval=True)``)
    next to a histogram of CLV."""
    i18n.check_lang(lang)
    fig, axes = figure("clv-distribution", i18n.t("clv.fig_clv", lang), figsize=(9.0, 4.0), ncols=2)
    v = clv_frame.sort_values("clv", ascending=False)
    # the rank of each plotted customer among all of them (1 = highest CLV), also when thinned
    rank = np.arange(1, len(v) + 1)
    if len(v) > max_points:
        keep = np.linspace(0, len(v) - 1, max_points).astype(int)
        v, rank = v.iloc[keep], rank[keep]
    # CLV is typically spread over orders of magnitude (a few customers worth thousands, most
    # worth a few): a log axis shows every part of it when all values are positive.
    positive = bool((clv_frame["clv"] > 0).all() and (v["lower"] > 0).all())
    axes[0].fill_between(rank, v["lower"], v["upper"], alpha=0.3, label=i18n.t("clv.interval95", lang))
    axes[0].plot(rank, v["clv"], color="C0", label=i18n.t("clv.clv_value", lang))
    axes[0].set_xlabel(i18n.t("clv.customer_rank", lang))
    scale = i18n.t("clv.log_scale", lang) if positive else ""
    axes[0].set_ylabel(i18n.t("clv.clv_value", lang) + scale)
    axes[0].set_xlim(1, max(len(clv_frame), 2))
    values = clv_frame["clv"]
    if positive:
        # Customers all but certainly gone have CLV near 0 (1e-7...), which would stretch a
        # log axis over many empty decades: the axes start at the 1st percentile, and the
        # histogram counts the customers below it in its first bin.
        floor = float(values.quantile(0.01))
        axes[0].set_yscale("log")
        axes[0].set_ylim(bottom=floor / 2)
        values = values.clip(lower=floor)
    axes[0].legend()
    sns.histplot(values, ax=axes[1], bins=50, log_scale=positive)
    axes[1].set_xlabel(i18n.t("clv.clv_value", lang) + scale)
    axes[1].set_ylabel(i18n.t("clv.customers", lang))
    return fig


@styled
def plot_sbg_projection(projection: pd.DataFrame, *, fit_periods=None, lang: str = "zh"):
    """Projected survival of an sBG model (``model.project(n)``) against the actual survival.

    ``projection`` holds ``survival`` and, optionally, ``actual`` (shares in [0, 1]) indexed by
    contract period; ``fit_periods`` marks the last period the model was fitted on.
    """
    i18n.check_lang(lang)
    if not isinstance(projection, pd.DataFrame) or "survival" not in projection:
        from ..errors import ParameterError

        raise ParameterError("plot_sbg_projection: pass the frame of model.project(n) (column "
                             "'survival', optionally 'actual').")
    fig, ax = figure("clv-sbg", i18n.t("clv.fig_sbg", lang))
    ax.plot(projection.index, projection["survival"], label=i18n.t("clv.sbg_projected", lang))
    if "actual" in projection:
        ax.plot(projection.index, projection["actual"], "o", label=i18n.t("clv.actual", lang))
    if fit_periods is not None:
        ax.axvline(fit_periods, ls="--", color="grey", label=i18n.t("clv.sbg_fit_end", lang))
    ax.set_xlabel(i18n.t("clv.contract_period", lang))
    ax.set_ylabel(i18n.t("clv.sbg_survival", lang))
    ax.legend()
    return fig
