"""Result tables that render to text, HTML and a DataFrame, with a stable key and a zh/en caption.

Modelled on statsmodels' result summaries: one object, several renderings. Analyses keep their
column and index names as English keys (``share_customers``); a :class:`Table` shows them in the
chosen language through :mod:`crmlab.i18n`, and the report numbers it by ``key`` (表3-1 / Table 3.1).

    >>> tab = Table(frame, key="value.pyramid", caption={"zh": "客户金字塔", "en": "Customer pyramid"})
    >>> tab                      # HTML in a notebook, text in a terminal
    >>> tab.to_frame("en")       # localised copy
    >>> tab.frame                # the raw numbers, English keys
"""

from __future__ import annotations

from functools import cache

from collections.abc import Mapping

import pandas as pd

from . import i18n
from .errors import ParameterError


# Column headers shared by the analyses' tables (value, rfm, segments, strategy...): registered
# here, where every table is labelled, so no module imports another only for its labels.
i18n.register({
    "col.recency": {"zh": "最近一次购买距今（天）", "en": "Recency (days)"},
    "col.frequency": {"zh": "购买频率", "en": "Frequency"},
    "col.monetary": {"zh": "购买金额", "en": "Monetary"},
    "col.share": {"zh": "份额", "en": "Share"},
    "col.segment": {"zh": "客户细分", "en": "Segment"},
    "col.top_share": {"zh": "头部客户比例", "en": "Top share of customers"},
    "col.n_customers": {"zh": "客户数", "en": "Customers"},
    "col.value_share": {"zh": "价值占比", "en": "Share of value"},
    "col.share_customers": {"zh": "客户占比", "en": "Share of customers"},
    "col.revenue": {"zh": "收入", "en": "Revenue"},
    "col.share_revenue": {"zh": "收入占比", "en": "Share of revenue"},
    "col.profit": {"zh": "利润", "en": "Profit"},
    "col.share_profit": {"zh": "利润占比", "en": "Share of profit"},
    "col.weight": {"zh": "权重", "en": "Weight"},
    "col.criterion": {"zh": "指标", "en": "Criterion"},
    "col.mean": {"zh": "均值", "en": "Mean"},
    "col.strategy": {"zh": "策略", "en": "Strategy"},
    "col.clv": {"zh": "客户终生价值", "en": "CLV"},
    "col.retention": {"zh": "客户保持率", "en": "Retention rate"},
    "col.change": {"zh": "变化率", "en": "Change"},
})

# Fallback labels of table columns and index entries that the analyses leave as English keys.
# :func:`label` uses them only when no module registered ``col.<name>`` or ``<name>`` in
# :mod:`crmlab.i18n`; they are not registered themselves, so a module may label the same name
# later without a conflict. Module-specific labels stay in their modules.
_COLUMN_LABELS = {
    "value": ("数值", "value"),
    "top_profit_share": ("头部客户利润份额", "profit share of the top"),
    "bottom_share": ("尾部客户比例", "bottom share of customers"),
    "bottom_loss_share": ("尾部客户亏损份额", "loss share of the bottom"),
    "peak_share": ("峰值利润 / 总利润", "peak profit / total profit"),
    "peak_at": ("峰值处的客户比例", "share of customers at the peak"),
    "total_profit": ("总利润", "total profit"),
    "scenario": ("情景", "scenario"),
    "base": ("基准", "base"),
    "improved": ("改进后", "improved"),
    "node": ("节点", "node"),
    "indicator": ("指标", "indicator"),
    "source": ("来源", "source"),
    "global_weight": ("全局权重", "global weight"),
    "coef": ("系数", "coefficient"),
    "const": ("常数项", "constant"),
    "score_group": ("得分组", "score group"),
    "lower": ("下限", "lower"),
    "upper": ("上限", "upper"),
    "p_alive": ("存活概率", "P(alive)"),
    "customer_id": ("客户编号", "customer ID"),
    "log_likelihood": ("对数似然", "log-likelihood"),
    "customers": ("客户数", "customers"),
    "note": ("说明", "note"),
    "survival": ("存活比例", "survival"),
    "retention_rate": ("保持率", "retention rate"),
    "actual": ("实际", "actual"),
    "period": ("期", "period"),
    "count": ("计数", "count"),
    "std": ("标准差", "std. dev."),
    "min": ("最小值", "min"),
    "max": ("最大值", "max"),
    "combined": ("组合", "combination"),
    "n": ("人数", "n"),
    "churn_rate": ("流失率", "churn rate"),
    "expected_churners": ("预期流失人数", "expected churners"),
    "churn_value": ("客户流失价值", "churn value"),
    "churn_value_share": ("流失价值占比", "share of churn value"),
    "outcome": ("结果变量", "outcome"),
    "effect_measure": ("效应指标", "effect measure"),
    "n_control": ("对照组人数", "n control"),
    "n_treatment": ("处理组人数", "n treatment"),
    "mean_control": ("对照组均值", "mean control"),
    "mean_treatment": ("处理组均值", "mean treatment"),
    "effect": ("效应", "effect"),
    "ci_low": ("95%区间下限", "CI low"),
    "ci_high": ("95%区间上限", "CI high"),
    "significant": ("显著", "significant"),
    "verdict": ("结论", "verdict"),
    "qini_area": ("Qini 曲线下面积", "Qini area"),
    "qini_coefficient": ("Qini 系数", "Qini coefficient"),
    "auuc": ("增益曲线下面积", "AUUC"),
    "rule": ("规则", "rule"),
    "uplift": ("增益", "uplift"),
    "uplift_hat": ("预测增益", "predicted uplift"),
    "fraction": ("目标客户比例", "share targeted"),
    "threshold": ("增益阈值", "threshold"),
    "roi": ("投资回报率", "ROI"),
    "fraction_ci_low": ("目标比例区间下限", "share targeted, CI low"),
    "fraction_ci_high": ("目标比例区间上限", "share targeted, CI high"),
    "threshold_ci_low": ("阈值区间下限", "threshold, CI low"),
    "threshold_ci_high": ("阈值区间上限", "threshold, CI high"),
    "profit_ci_low": ("利润区间下限", "profit, CI low"),
    "profit_ci_high": ("利润区间上限", "profit, CI high"),
    "baseline": ("基准", "baseline"),
    "winback": ("挽回活动后", "after win-back"),
    "state": ("状态", "state"),
    "quantity": ("指标", "quantity"),
    "clv_before": ("调整前 CLV", "CLV before"),
    "clv_after": ("调整后 CLV", "CLV after"),
    "equity_before": ("调整前客户资产", "equity before"),
    "equity_after": ("调整后客户资产", "equity after"),
    "equity_gain": ("客户资产增加", "equity gain"),
    "profit_increase_pct": ("利润增长（%）", "profit increase (%)"),
    "acq_spend": ("获取投入", "acquisition spend"),
    "ret_spend": ("保持投入", "retention spend"),
    "acq_rate": ("获取率", "acquisition rate"),
    "ret_rate": ("保持率", "retention rate"),
    "equity": ("客户资产", "customer equity"),
    "acq_spend_ci_low": ("获取投入区间下限", "acquisition spend, CI low"),
    "acq_spend_ci_high": ("获取投入区间上限", "acquisition spend, CI high"),
    "ret_spend_ci_low": ("保持投入区间下限", "retention spend, CI low"),
    "ret_spend_ci_high": ("保持投入区间上限", "retention spend, CI high"),
    "estimate": ("估计值", "estimate"),
    "important_value": ("重要价值客户", "Important value"),
    "important_development": ("重要发展客户", "Important development"),
    "important_retention": ("重要保持客户", "Important retention"),
    "important_winback": ("重要挽留客户", "Important win-back"),
    "general_value": ("一般价值客户", "General value"),
    "general_development": ("一般发展客户", "General development"),
    "general_retention": ("一般保持客户", "General retention"),
    "general_winback": ("一般挽留客户", "General win-back"),
    "p_value": ("p值", "p-value"),
    "test": ("检验方法", "Test"),
    "max_profit_ci_low": ("最大利润区间下限", "max profit, CI low"),
    "max_profit_ci_high": ("最大利润区间上限", "max profit, CI high"),
    "equity_ci_low": ("客户资产区间下限", "equity, CI low"),
    "equity_ci_high": ("客户资产区间上限", "equity, CI high"),
    "dimension": ("维度", "dimension"),
    "discount_rate": ("贴现率", "discount rate"),
    "horizon": ("预测期", "horizon"),
    # DataFrame.describe() percentiles
    "25%": ("25%分位数", "25%"),
    "50%": ("中位数", "50%"),
    "75%": ("75%分位数", "75%"),
    # campaign outcomes (crmlab.datasets.simulate_campaign) as named in test tables
    "response": ("响应", "response"),
    "spend": ("消费额", "spend"),
    "clv_post": ("活动后 CLV", "post-campaign CLV"),
    "current_value": ("当前价值", "current value"),
    "potential_value": ("潜在价值", "potential value"),
}


class Table:
    """A DataFrame with a stable ``key``, a caption in zh and en, and an optional note.

    Parameters
    ----------
    frame : DataFrame
        The numbers, with English column/index keys. Kept as given (not copied).
    key : str
        Stable identifier (``"<module>.<name>"``) the report uses to number and cross-reference.
    caption : str or mapping
        ``{"zh": ..., "en": ...}``, or an i18n key registered by the producing module.
    lang : {"zh", "en"}
        Language used by ``str``/``_repr_html_``; ``to_*`` methods accept another one.
    note : str or mapping, optional
        A source/method note printed under the table, in both languages or as an i18n key.
    float_format : str
        Format spec for floats in text/HTML renderings (the frame itself is never rounded).
    """

    def __init__(self, frame: pd.DataFrame, key: str, caption, *, lang: str = "zh", note=None,
                 float_format: str = ",.4g"):
        if not isinstance(frame, pd.DataFrame):
            raise ParameterError(f"Table {key!r}: frame must be a pandas DataFrame, got "
                                 f"{type(frame).__name__}.")
        self.frame = frame
        self.key = str(key)
        self.caption = caption
        self.lang = i18n.check_lang(lang)
        self.note = note
        self.float_format = float_format

    # -- language ------------------------------------------------------------------------
    @staticmethod
    def _text(value, lang: str) -> str:
        if value is None:
            return ""
        if isinstance(value, Mapping):
            return str(value.get(lang, next(iter(value.values()), "")))
        return i18n.t(str(value), lang)

    def caption_in(self, lang: str | None = None) -> str:
        """The caption in ``lang`` (default: the table's language)."""
        return self._text(self.caption, i18n.check_lang(lang or self.lang))

    def note_in(self, lang: str | None = None) -> str:
        return self._text(self.note, i18n.check_lang(lang or self.lang))

    def to_frame(self, lang: str | None = None) -> pd.DataFrame:
        """A copy with column, index and categorical labels translated into ``lang``."""
        lang = i18n.check_lang(lang or self.lang)
        out = self.frame.copy()
        out.columns = [label(c, lang) for c in out.columns]
        out.index = out.index.map(lambda v: label(v, lang))
        if out.index.name is not None:
            out.index.name = label(out.index.name, lang)
        return out

    # -- renderings ----------------------------------------------------------------------
    def _formatted(self, lang: str) -> pd.DataFrame:
        out = self.to_frame(lang)
        fmt = self.float_format
        for col in out.columns:
            if pd.api.types.is_float_dtype(out[col]):
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else format(v, fmt))
        return out

    def to_text(self, lang: str | None = None) -> str:
        lang = i18n.check_lang(lang or self.lang)
        body = self._formatted(lang).to_string()
        parts = [self.caption_in(lang), body]
        note = self.note_in(lang)
        if note:
            parts.append(note)
        return "\n".join(p for p in parts if p)

    def to_html(self, lang: str | None = None) -> str:
        lang = i18n.check_lang(lang or self.lang)
        html = self._formatted(lang).to_html(border=0, classes="crmlab-table", escape=True)
        cap = self.caption_in(lang)
        html = html.replace(">\n  <thead>", f">\n  <caption>{_escape(cap)}</caption>\n  <thead>", 1)
        note = self.note_in(lang)
        note_html = f'<p class="crmlab-note">{_escape(note)}</p>' if note else ""
        return f'<div class="crmlab-table-wrap" data-key="{_escape(self.key)}">{html}{note_html}</div>'

    def in_lang(self, lang: str) -> Table:
        """The same table, rendered in another language."""
        return Table(self.frame, self.key, self.caption, lang=lang, note=self.note,
                     float_format=self.float_format)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Table {self.key!r} {self.frame.shape[0]}x{self.frame.shape[1]}>\n{self.to_text()}"

    def _repr_html_(self) -> str:
        return self.to_html()


@cache
def _case_labels() -> None:
    """Register the course cases' column labels, which name data rather than a computation:
    a table of those columns can be shown without the simulator having run in this process."""
    import crmlab.datasets.cases  # noqa: F401  (registers col.* labels on import)


def label(name, lang: str):
    """The display label of a column/index/category ``name``.

    Looks up ``"col.<name>"`` first (the shared namespace for table headers, so a module can
    label ``share_customers`` once for every table), then ``name`` itself, then the fallback
    labels of this module (``value``, ``ci_low``, ``churn_rate``...); anything unknown, and any
    non-string, comes back unchanged.
    """
    if not isinstance(name, str):
        return name
    _case_labels()
    if i18n.has("col." + name):
        return i18n.t("col." + name, lang)
    if not i18n.has(name) and name in _COLUMN_LABELS:
        return _COLUMN_LABELS[name][0 if i18n.check_lang(lang) == "zh" else 1]
    return i18n.t(name, lang)


def _escape(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
