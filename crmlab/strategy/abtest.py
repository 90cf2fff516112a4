"""Campaign tests (test vs control) and power / sample-size planning.

:func:`ab_test` returns one tidy row per test with the effect, its confidence interval, the
p-value and a plain-language verdict in Chinese or English. :func:`sample_size` and
:func:`achieved_power` wrap :mod:`statsmodels.stats.power`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import ParameterError
from ..tables import label
from ._common import (
    binary_column,
    bootstrap_means,
    check_arms,
    check_positive_int,
    check_prob,
    need_frame,
    numeric_column,
    percentile_interval,
)

i18n.register({
    "strategy.test.ztest": {"zh": "双比例 z 检验", "en": "two-proportion z-test"},
    "strategy.test.chi2": {"zh": "卡方检验", "en": "chi-square test"},
    "strategy.test.welch": {"zh": "Welch t 检验", "en": "Welch t-test"},
    "strategy.test.mannwhitney": {"zh": "Mann–Whitney U 检验", "en": "Mann–Whitney U test"},
    "strategy.test.bootstrap": {"zh": "自助法均值差（CLV）", "en": "bootstrap difference in mean CLV"},
    "strategy.measure.diff_prop": {"zh": "比例差（处理−对照）", "en": "difference in proportions (T−C)"},
    "strategy.measure.diff_mean": {"zh": "均值差（处理−对照）", "en": "difference in means (T−C)"},
    "strategy.measure.superiority": {"zh": "优势概率 P(处理>对照)", "en": "probability of superiority P(T>C)"},
    "strategy.verdict.up": {
        "zh": "显著：处理组的{outcome}高于对照组（效应 {effect}，{level}% 置信区间 [{lo}, {hi}]，p = {p}）。",
        "en": "Significant: {outcome} is higher under treatment (effect {effect}, {level}% CI [{lo}, {hi}], p = {p}).",
    },
    "strategy.verdict.down": {
        "zh": "显著：处理组的{outcome}低于对照组（效应 {effect}，{level}% 置信区间 [{lo}, {hi}]，p = {p}）。",
        "en": "Significant: {outcome} is lower under treatment (effect {effect}, {level}% CI [{lo}, {hi}], p = {p}).",
    },
    "strategy.verdict.none": {
        "zh": "不显著：没有证据表明活动改变了{outcome}（效应 {effect}，{level}% 置信区间 [{lo}, {hi}]，p = {p}）。",
        "en": "Not significant: no evidence that the campaign changed {outcome} (effect {effect}, {level}% CI [{lo}, {hi}], p = {p}).",
    },
})

KINDS = ("proportion", "mean", "clv")

COLUMNS = [
    "test", "outcome", "effect_measure", "n_control", "n_treatment", "mean_control",
    "mean_treatment", "effect", "ci_low", "ci_high", "p_value", "significant", "verdict",
]


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _verdict(outcome, effect, lo, hi, p, alpha, lang, null=0.0):
    if p < alpha:
        key = "strategy.verdict.up" if effect > null else "strategy.verdict.down"
    else:
        key = "strategy.verdict.none"
    return i18n.t(
        key, lang, outcome=label(outcome, lang), effect=_fmt(effect), lo=_fmt(lo), hi=_fmt(hi),
        p=f"{p:.3g}", level=f"{100 * (1 - alpha):g}",
    )


def _row(test, measure, outcome, y0, y1, effect, lo, hi, p, alpha, lang, null=0.0):
    return {
        "test": i18n.t(test, lang),
        "outcome": outcome,
        "effect_measure": i18n.t(measure, lang),
        "n_control": len(y0),
        "n_treatment": len(y1),
        "mean_control": float(np.mean(y0)),
        "mean_treatment": float(np.mean(y1)),
        "effect": float(effect),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "p_value": float(p),
        "significant": bool(p < alpha),
        "verdict": _verdict(outcome, effect, lo, hi, p, alpha, lang, null),
    }


def ab_test(
    frame: pd.DataFrame,
    *,
    treatment: str,
    outcome: str,
    kind: str = "proportion",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    lang: str = "zh",
) -> pd.DataFrame:
    """Compare a treatment group with a control group on one outcome.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    treatment : str
        Binary column: 1/True = received the campaign, 0/False = control.
    outcome : str
        ``kind="proportion"``: a 0/1 column (response, retained). ``"mean"``: a numeric column
        (spend). ``"clv"``: a numeric customer-value column (e.g. CLV after the campaign).
    kind : {"proportion", "mean", "clv"}
        ``"proportion"`` gives the two-proportion z-test (pooled variance, as
        :func:`statsmodels.stats.proportion.proportions_ztest`) and the chi-square test on the
        2×2 table without continuity correction (same p-value, z² = χ²); the interval is the
        unpooled Wald interval of p_T − p_C. ``"mean"`` gives the Welch t-test (difference in
        means with the Welch–Satterthwaite interval) and the Mann–Whitney U test (effect: the
        probability of superiority U / (n_T n_C), interval by Hanley & McNeil 1982).
        ``"clv"`` gives the difference in mean CLV with a percentile bootstrap interval
        (``n_boot`` resamples within each arm, seeded) and a bootstrap p-value
        2·min(P*(Δ ≤ 0), P*(Δ ≥ 0)), floored at 1/(n_boot+1).
    alpha : float
        Significance level; the intervals have level 1 − alpha.
    n_boot, seed : int
        Bootstrap resamples and seed (``kind="clv"`` only).
    lang : {"zh", "en"}
        Language of the test names and the verdict.

    Returns
    -------
    DataFrame
        One row per test with ``test``, ``outcome``, ``effect_measure``, ``n_control``,
        ``n_treatment``, ``mean_control``, ``mean_treatment``, ``effect``, ``ci_low``,
        ``ci_high``, ``p_value``, ``significant`` and ``verdict``.
    """
    from scipy import stats  # heavy; loaded on first use so `import crmlab.strategy` stays quick

    i18n.check_lang(lang)
    need_frame(frame)
    if kind not in KINDS:
        raise ParameterError(f"kind={kind!r} is not a test kind; use one of {', '.join(KINDS)}.")
    check_prob(alpha, "alpha")
    t = binary_column(frame, treatment, role="treatment")
    check_arms(t, treatment)
    if kind == "proportion":
        y = binary_column(frame, outcome, role="outcome").astype(float)
    else:
        y = numeric_column(frame, outcome)
    y1, y0 = y[t == 1], y[t == 0]
    z_crit = stats.norm.ppf(1 - alpha / 2)
    rows = []
    if kind == "proportion":
        from statsmodels.stats.proportion import proportions_ztest

        x1, x0, n1, n0 = y1.sum(), y0.sum(), len(y1), len(y0)
        p1, p0 = x1 / n1, x0 / n0
        diff = p1 - p0
        se = np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
        lo, hi = diff - z_crit * se, diff + z_crit * se
        if x1 + x0 in (0, n1 + n0):  # no variation at all: nothing to test
            pz = pc = 1.0
        else:
            _, pz = proportions_ztest([x1, x0], [n1, n0])
            table = np.array([[x1, n1 - x1], [x0, n0 - x0]])
            pc = stats.chi2_contingency(table, correction=False).pvalue
        rows.append(_row("strategy.test.ztest", "strategy.measure.diff_prop", outcome, y0, y1,
                         diff, lo, hi, pz, alpha, lang))
        rows.append(_row("strategy.test.chi2", "strategy.measure.diff_prop", outcome, y0, y1,
                         diff, lo, hi, pc, alpha, lang))
    elif kind == "mean":
        res = stats.ttest_ind(y1, y0, equal_var=False)
        ci = res.confidence_interval(1 - alpha)
        diff = y1.mean() - y0.mean()
        p = float(res.pvalue) if np.isfinite(res.pvalue) else 1.0
        rows.append(_row("strategy.test.welch", "strategy.measure.diff_mean", outcome, y0, y1,
                         diff, ci.low, ci.high, p, alpha, lang))
        mw = stats.mannwhitneyu(y1, y0, alternative="two-sided")
        n1, n0 = len(y1), len(y0)
        a = mw.statistic / (n1 * n0)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        var = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0)
        se = np.sqrt(max(var, 0.0))
        lo, hi = max(0.0, a - z_crit * se), min(1.0, a + z_crit * se)
        rows.append(_row("strategy.test.mannwhitney", "strategy.measure.superiority", outcome,
                         y0, y1, a, lo, hi, float(mw.pvalue), alpha, lang, null=0.5))
    else:
        n_boot = check_positive_int(n_boot, "n_boot", 100)
        rng = np.random.default_rng(seed)
        draws = bootstrap_means(y1, n_boot, rng) - bootstrap_means(y0, n_boot, rng)
        diff = y1.mean() - y0.mean()
        lo, hi = percentile_interval(draws, alpha)
        p = 2 * min((draws <= 0).mean(), (draws >= 0).mean())
        p = float(min(1.0, max(p, 1.0 / (n_boot + 1))))
        rows.append(_row("strategy.test.bootstrap", "strategy.measure.diff_mean", outcome, y0, y1,
                         diff, lo, hi, p, alpha, lang))
    out = pd.DataFrame(rows, columns=COLUMNS)
    out.attrs.update(kind=kind, alpha=alpha, treatment=treatment)
    return out


def _power_setup(kind, effect, baseline, sd):
    from statsmodels.stats.power import NormalIndPower, TTestIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if kind == "proportion":
        if baseline is None:
            raise ParameterError(
                "kind='proportion' needs baseline= (the control response rate, e.g. 0.10); "
                "effect is the absolute difference you want to detect (e.g. 0.02)."
            )
        check_prob(baseline, "baseline")
        check_prob(baseline + effect, "baseline + effect")
        return NormalIndPower(), proportion_effectsize(baseline + effect, baseline)
    if kind == "mean":
        d = effect / sd if sd is not None else effect
        return TTestIndPower(), d
    raise ParameterError(f"kind={kind!r}: power planning supports 'proportion' or 'mean'.")


def sample_size(
    effect: float,
    *,
    kind: str = "proportion",
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
) -> pd.DataFrame:
    """Customers needed per arm to detect ``effect`` with the given power (two-sided).

    ``kind="proportion"``: ``effect`` is p_T − p_C with control rate ``baseline``; the test is the
    normal approximation on Cohen's h = 2·asin√p_T − 2·asin√p_C. ``kind="mean"``: ``effect`` is
    Cohen's d, or a raw difference when ``sd`` is given; the test is the two-sample t-test.
    ``ratio`` = n_treatment / n_control.

    Returns a one-row DataFrame with ``effect_size`` (h or d), ``n_control_exact`` (the
    unrounded solution; Cohen's tables round it to the nearest integer), ``n_control``,
    ``n_treatment`` (rounded up) and ``n_total``.
    """
    check_prob(alpha, "alpha")
    check_prob(power, "power")
    if ratio <= 0:
        raise ParameterError(f"ratio={ratio!r} must be positive (n_treatment / n_control).")
    engine, es = _power_setup(kind, effect, baseline, sd)
    if es == 0:
        raise ParameterError("effect=0 cannot be detected with any sample size; pass a non-zero effect.")
    n0 = float(engine.solve_power(effect_size=abs(es), alpha=alpha, power=power, ratio=ratio))
    nc, nt = int(np.ceil(n0)), int(np.ceil(n0 * ratio))
    return pd.DataFrame([{"kind": kind, "effect_size": float(es), "alpha": alpha, "power": power,
                          "n_control_exact": n0, "n_control": nc, "n_treatment": nt, "n_total": nc + nt}])


def achieved_power(
    effect: float,
    n_control: int,
    *,
    kind: str = "proportion",
    baseline: float | None = None,
    sd: float | None = None,
    alpha: float = 0.05,
    ratio: float = 1.0,
) -> float:
    """Power of a two-sided test with ``n_control`` customers in control (see :func:`sample_size`)."""
    check_prob(alpha, "alpha")
    check_positive_int(n_control, "n_control", 2)
    engine, es = _power_setup(kind, effect, baseline, sd)
    return float(engine.solve_power(effect_size=abs(es), nobs1=n_control, alpha=alpha, ratio=ratio))
