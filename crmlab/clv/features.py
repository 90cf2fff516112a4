"""Per-customer covariates for the covariate models (``clv.fit(..., covariates=[...])``).

Covariates are time-invariant numeric columns, one row per customer, joined to a summary by
customer id (``summary.join(frame)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, ModelError

i18n.register({
    "clv.cov.up": {
        "zh": "{process}：{covariate} 每增加 1，{what}变为原来的 {ratio:.2f} 倍（系数 {coef:+.3f}，95% 区间 {lo:+.3f} 至 {hi:+.3f}）。",
        "en": "{process}: each unit more of {covariate} multiplies {what} by {ratio:.2f} (coefficient "
              "{coef:+.3f}, 95% interval {lo:+.3f} to {hi:+.3f})."},
    "clv.cov.none": {
        "zh": "{process}：{covariate} 的系数为 {coef:+.3f}，95% 区间 {lo:+.3f} 至 {hi:+.3f} 包含 0，看不出影响。",
        "en": "{process}: the coefficient of {covariate} is {coef:+.3f}, and its 95% interval "
              "({lo:+.3f} to {hi:+.3f}) covers 0: no effect can be told from none."},
    "clv.cov.purchase": {"zh": "购买过程", "en": "Purchasing"},
    "clv.cov.dropout": {"zh": "流失过程", "en": "Dropout"},
    "clv.cov.purchase_what": {"zh": "购买率", "en": "the purchase rate"},
    "clv.cov.dropout_what_pnbd": {"zh": "流失率", "en": "the dropout rate"},
    "clv.cov.dropout_what_bg": {"zh": "每次购买后流失概率的几率", "en": "the odds of dropping out after a purchase"},
})


def first_purchase_amount(transactions: pd.DataFrame, index: pd.Index | None = None, *,
                          log: bool = True, floor: float = 1.0) -> pd.Series:
    """Each customer's spend on the day of their first purchase, a time-invariant covariate
    (Abe 2009; BTYDplus's CDNOW demo).

    Parameters
    ----------
    transactions : DataFrame
        ``customer_id``, ``date`` and ``amount`` (a :class:`crmlab.Transactions` ``.frame``).
    index : Index, optional
        Customers to return, in this order (e.g. a summary's index).
    log : bool
        Return ``log(max(amount, floor))``: spend is skewed, and a zero first basket has no log.
    """
    missing = {"customer_id", "date", "amount"} - set(transactions.columns)
    if missing:
        raise DataError(f"first_purchase_amount needs columns customer_id, date and amount; "
                        f"missing {sorted(missing)}.")
    day = pd.to_datetime(transactions["date"]).dt.normalize()
    first_day = day.groupby(transactions["customer_id"]).transform("min")
    first = transactions.loc[day == first_day].groupby("customer_id")["amount"].sum()
    if index is not None:
        first = first.reindex(index)
    if log:
        first = np.log(first.clip(lower=floor))
    return first.rename("log_first_amount" if log else "first_amount")


def placebo_channel(index: pd.Index, *, seed: int, share: float = 0.5,
                    name: str = "channel_online") -> pd.Series:
    """A channel flag (1.0 / 0.0) assigned at random, independent of behaviour.

    A placebo covariate: a correct fit gives coefficients whose intervals cover zero, which is
    how a reader checks that the covariate model does not invent effects.
    """
    rng = np.random.default_rng(seed)
    return pd.Series((rng.random(len(index)) < share).astype(float), index=index, name=name)


def add_covariates(summary: pd.DataFrame, covariates) -> pd.DataFrame:
    """The summary with per-customer covariate columns joined by customer id, keeping its
    ``attrs`` (time unit, dates), ready for ``clv.fit(model, ..., covariates=[...])``.

    Parameters
    ----------
    summary : DataFrame
        A :func:`crmlab.summarise` frame (index: customer id).
    covariates : DataFrame, Series or mapping of name -> Series
        Indexed by customer id. Every customer of the summary must have a value.
    """
    if isinstance(covariates, pd.Series):
        covariates = covariates.to_frame()
    elif not isinstance(covariates, pd.DataFrame):
        covariates = pd.DataFrame(dict(covariates))
    clash = sorted(set(covariates.columns) & set(summary.columns))
    if clash:
        raise DataError(f"add_covariates: the summary already has column(s) {clash}; rename the covariates.")
    joined = summary.join(covariates, how="left")
    missing = joined[list(covariates.columns)].isna().any(axis=1)
    if missing.any():
        examples = ", ".join(map(str, joined.index[missing][:3]))
        raise DataError(f"add_covariates: {int(missing.sum())} customer(s) of the summary have no covariate "
                        f"value (e.g. {examples}); give every customer a value (index = customer id).")
    joined.attrs = dict(summary.attrs)
    return joined


def describe_covariates(model, lang: str = "zh") -> list[str]:
    """One sentence per covariate coefficient of a fitted covariate model, read in the
    convention of :mod:`crmlab.clv.covariates` (a positive coefficient means more purchasing,
    or faster dropout): the multiplier ``exp(coefficient)`` when the 95% interval excludes 0,
    otherwise that no effect can be told."""
    i18n.check_lang(lang)
    params = getattr(model, "params_", None)
    ci = getattr(model, "confidence_intervals_", None)
    if params is None or ci is None:
        raise ModelError("describe_covariates needs a fitted covariate model "
                         "(clv.fit(..., covariates=[...])).")
    dropout_what = "clv.cov.dropout_what_pnbd" if "beta" in params.index else "clv.cov.dropout_what_bg"
    out = []
    for name in params.index:
        process, _, covariate = str(name).partition(":")
        if process not in ("purchase", "dropout") or not covariate:
            continue
        coef, lo, hi = float(params[name]), float(ci.loc[name, "lower 95%"]), float(ci.loc[name, "upper 95%"])
        values = dict(process=i18n.t(f"clv.cov.{process}", lang), covariate=covariate, coef=coef, lo=lo, hi=hi)
        if lo > 0 or hi < 0:
            what = i18n.t("clv.cov.purchase_what" if process == "purchase" else dropout_what, lang)
            out.append(i18n.t("clv.cov.up", lang, what=what, ratio=float(np.exp(coef)), **values))
        else:
            out.append(i18n.t("clv.cov.none", lang, **values))
    return out


def covariate_reading(model) -> dict[str, str]:
    """:func:`describe_covariates` as one paragraph per language (``{"zh": ..., "en": ...}``)."""
    return {lang: ("" if lang == "zh" else " ").join(describe_covariates(model, lang)) for lang in i18n.LANGS}
