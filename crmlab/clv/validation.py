"""Holdout validation and goodness of fit for the continuous-time purchase models.

- :func:`holdout_report`: per model, LL/AIC/BIC and customer-level MAE, RMSE and aggregate bias
  of holdout repeat purchases (the measures of Reutterer, Platzer & Schröder 2021).
- :func:`conditional_by_frequency`: mean predicted vs actual holdout purchases by calibration
  frequency.
- :func:`tracking`: cumulative and incremental repeat transactions per period, actual vs
  predicted.
- :func:`chi2_frequency`: χ² test of the calibration frequency histogram.
- :func:`fit_table`: one model per data set side by side (parameters, LL, customers, note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import i18n
from ..errors import ModelError
from ..units import DAYS_PER_UNIT, time_unit_of
from .base import check_columns, numeric, weights_of
from .predict import check_method

i18n.register({
    "clv.model": {"zh": "模型", "en": "model"},
    "clv.log_likelihood": {"zh": "对数似然", "en": "log-likelihood"},
    "clv.mae": {"zh": "平均绝对误差", "en": "MAE"},
    "clv.rmse": {"zh": "均方根误差", "en": "RMSE"},
    "clv.bias": {"zh": "总量偏差", "en": "aggregate bias"},
    "clv.actual": {"zh": "实际", "en": "actual"},
    "clv.predicted": {"zh": "预测", "en": "predicted"},
    "clv.frequency": {"zh": "校准期重复购买次数", "en": "calibration repeat purchases"},
    "clv.period": {"zh": "期", "en": "period"},
    "clv.cumulative": {"zh": "累计", "en": "cumulative"},
    "clv.incremental": {"zh": "当期", "en": "incremental"},
    "clv.customers": {"zh": "客户数", "en": "customers"},
    "clv.observed": {"zh": "观测人数", "en": "observed"},
    "clv.expected": {"zh": "期望人数", "en": "expected"},
})


def _holdout_columns(summary):
    check_columns(summary, ("frequency", "recency", "T", "frequency_holdout", "duration_holdout"),
                  "holdout_report")
    return numeric(summary, "frequency_holdout", "holdout"), numeric(summary, "duration_holdout", "holdout")


def _predict_holdout(model, summary, duration, method="exact"):
    """Holdout predictions; ``method`` already checked (:func:`check_method`)."""
    idx, x, tx, T = model._pred_data(summary)
    theta = model._theta_rows(model._theta, slice(None))
    if method == "btydplus":
        return model._k_cond_btydplus(theta, duration, x, tx, T, weights_of(summary, "holdout"))
    return model._k_cond(theta, duration, x, tx, T)


def holdout_report(models, summary: pd.DataFrame, *, lang: str = "en", method: str = "exact") -> pd.DataFrame:
    """Compare fitted models on the holdout period of ``summary``.

    Parameters
    ----------
    models : dict or list
        Fitted BG/NBD, MBG/NBD, Pareto/NBD or (M)BG/CNBD-k models (fitted on the calibration
        part of this summary or of its :func:`crmlab.compress` form). A dict gives the row
        labels.
    summary : DataFrame
        ``crmlab.summarise(..., calibration_end=...)`` output with ``frequency_holdout`` and
        ``duration_holdout`` (in the summary's unit).
    method : {"exact", "btydplus"}
        How the conditional expectation is computed (see
        :meth:`crmlab.clv.BetaGeoCNBDk.conditional_expected_purchases`): "exact" (the default,
        every model), or "btydplus", BTYDplus's approximation for (M)BG/CNBD-k models, with
        which Reutterer, Platzer & Schröder (2021) computed their holdout table (its bias
        correction treats ``summary`` as the whole cohort). With "btydplus" every model must be
        a CNBD-k model (for BG/NBD, MBG/NBD fit one with ``k=1``, as the paper did).

    Returns
    -------
    DataFrame
        One row per model: log-likelihood, AIC, BIC, n_params, MAE, RMSE, bias, and the
        boundary note.
    """
    i18n.check_lang(lang)
    if not isinstance(models, dict):
        models = {getattr(m, "name", str(i)): m for i, m in enumerate(models)}
    actual, duration = _holdout_columns(summary)
    for m in models.values():  # before any prediction: a wrong method fails fast
        check_method(m, method)
    rows = []
    for label, m in models.items():
        pred = _predict_holdout(m, summary, duration, method)
        err = pred - actual
        rows.append({
            i18n.t("clv.model", lang): label,
            i18n.t("clv.log_likelihood", lang): m.log_likelihood_,
            "AIC": m.aic_,
            "BIC": m.bic_,
            i18n.t("clv.mae", lang): float(np.mean(np.abs(err))),
            i18n.t("clv.rmse", lang): float(np.sqrt(np.mean(err**2))),
            i18n.t("clv.bias", lang): float(err.sum() / actual.sum()) if actual.sum() > 0 else np.nan,
            i18n.t("clv.note", lang): m.note_in(lang),
        })
    return pd.DataFrame(rows).set_index(i18n.t("clv.model", lang))


def fit_table(models, *, lang: str = "en") -> pd.DataFrame:
    """Fitted models side by side, one row each, e.g. one model on several data sets.

    ``models`` maps a row label (data set or model name) to a fitted model. Columns: the
    model's parameters (the union, when the models differ), ``log_likelihood``, ``customers``
    (the number of customers fitted, summed weights) and ``note`` (e.g. a boundary solution,
    in ``lang``).
    """
    i18n.check_lang(lang)
    if not isinstance(models, dict) or not models:
        raise ModelError("fit_table needs a dict of fitted models, e.g. {'cdnow': model, ...}.")
    for label, m in models.items():
        if not hasattr(m, "params_"):
            raise ModelError(f"fit_table: {label!r} is not a fitted model; call .fit(summary) first.")
    rows = {label: {**m.params_, "log_likelihood": float(m.log_likelihood_),
                    "customers": int(round(m.n_customers_)), "note": m.note_in(lang)}
            for label, m in models.items()}
    return pd.DataFrame.from_dict(rows, orient="index")


def conditional_by_frequency(model, summary: pd.DataFrame, *, max_frequency: int = 7,
                             lang: str = "en", method: str = "exact") -> pd.DataFrame:
    """Mean actual vs predicted holdout purchases, grouped by calibration frequency
    (``max_frequency`` and above pooled); ``method`` as in :func:`holdout_report`."""
    check_method(model, method)
    actual, duration = _holdout_columns(summary)
    pred = _predict_holdout(model, summary, duration, method)
    x = numeric(summary, "frequency", "holdout")
    grp = np.minimum(x, max_frequency).astype(int)
    out = pd.DataFrame({"g": grp, "a": actual, "p": pred}).groupby("g").agg(
        n=("a", "size"), a=("a", "mean"), p=("p", "mean"))
    out.index.name = i18n.t("clv.frequency", lang)
    out.columns = [i18n.t("clv.customers", lang), i18n.t("clv.actual", lang), i18n.t("clv.predicted", lang)]
    return out


def tracking(model, transactions, summary: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Repeat transactions per period (the summary's unit), actual vs predicted.

    ``transactions`` is the :class:`crmlab.Transactions` (or its ``.frame``) the summary was
    built from; same-day purchases count once (daily aggregation, as in the summary). The
    prediction for period k sums E[X(t_k − b_i)] over customers born at b_i.
    """
    i18n.check_lang(lang)
    frame = getattr(transactions, "frame", transactions)
    check_columns(frame, ("customer_id", "date"), "tracking")
    check_columns(summary, ("first_purchase",), "tracking")
    unit = time_unit_of(summary)
    days = DAYS_PER_UNIT[unit]
    end = summary.attrs.get("observation_end")
    if end is None:
        raise ModelError("tracking: the summary has no attrs['observation_end']; build it with crmlab.summarise.")
    first = pd.to_datetime(summary["first_purchase"]).dt.normalize()
    start = first.min()
    day = pd.to_datetime(frame["date"]).dt.normalize()
    tx = pd.DataFrame({"c": frame["customer_id"].astype(str).to_numpy(), "d": day.to_numpy()})
    tx = tx[tx["d"] <= pd.Timestamp(end)].drop_duplicates()  # observation_end is inclusive
    fp = first.copy()
    fp.index = fp.index.astype(str)
    tx = tx[tx["d"] > tx["c"].map(fp).to_numpy()]  # repeat purchases only
    n_periods = int(np.ceil(((pd.Timestamp(end) - start).days) / days))
    edges = np.arange(1, n_periods + 1) * days  # period ends, in days since start
    k = np.clip(np.ceil(((tx["d"] - start).dt.days + 1) / days).astype(int) - 1, 0, n_periods - 1)
    actual = np.bincount(k, minlength=n_periods)
    birth_days = ((first - start).dt.days).to_numpy(float)
    b, cnt = np.unique(birth_days, return_counts=True)
    cum = np.zeros(n_periods)
    for i, e in enumerate(edges):
        age = np.maximum(0.0, e - b) / days
        cum[i] = np.sum(cnt * model.expected_purchases(age))
    out = pd.DataFrame({
        i18n.t("clv.period", lang): np.arange(1, n_periods + 1),
        f"{i18n.t('clv.actual', lang)} ({i18n.t('clv.incremental', lang)})": actual,
        f"{i18n.t('clv.predicted', lang)} ({i18n.t('clv.incremental', lang)})": np.diff(np.r_[0.0, cum]),
        f"{i18n.t('clv.actual', lang)} ({i18n.t('clv.cumulative', lang)})": np.cumsum(actual),
        f"{i18n.t('clv.predicted', lang)} ({i18n.t('clv.cumulative', lang)})": cum,
    }).set_index(i18n.t("clv.period", lang))
    out.attrs["calibration_end_period"] = (
        None if summary.attrs.get("calibration_end") is None
        else (pd.Timestamp(summary.attrs["calibration_end"]) - start).days / days)
    out.attrs["time_unit"] = unit
    return out


def chi2_frequency(model, summary: pd.DataFrame | None = None, *, max_frequency: int = 7,
                   lang: str = "en") -> pd.DataFrame:
    """χ² goodness-of-fit test of the calibration frequency histogram.

    Expected counts are Σ_i P(X(T_i) = x) over customers (weights respected); frequencies of
    ``max_frequency`` and more are pooled. The result's ``attrs`` hold ``chi2``, ``df`` and
    ``p_value`` (df = bins − 1 − number of free parameters).
    """
    model._check_fitted()
    data = model.data_ if summary is None else summary
    idx, x, tx, T = model._pred_data(summary)
    w = numeric(data, "weights", "chi2") if "weights" in data.columns else np.ones(len(x))
    Tu, inv = np.unique(T, return_inverse=True)
    wT = np.bincount(inv, weights=w)
    K = max_frequency
    expected = np.zeros(K + 1)
    for j, t in enumerate(Tu):
        p = model.pmf(np.arange(K), t)
        expected[:K] += wT[j] * p
        expected[K] += wT[j] * max(0.0, 1 - p.sum())
    observed = np.bincount(np.minimum(x, K).astype(int), weights=w, minlength=K + 1)
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    df = K + 1 - 1 - int(model._free.sum())
    out = pd.DataFrame({i18n.t("clv.observed", lang): observed, i18n.t("clv.expected", lang): expected},
                       index=pd.Index([str(i) for i in range(K)] + [f"{K}+"], name=i18n.t("clv.frequency", lang)))
    out.attrs.update(chi2=chi2, df=df, p_value=float(stats.chi2.sf(chi2, df)) if df > 0 else np.nan)
    return out


def equity_sensitivity(model, spend_model, data: pd.DataFrame, *, horizons, discount_rates,
                       rate_unit=None) -> pd.DataFrame:
    """Customer equity (the sum of CLV over ``data``) for each discount rate and horizon.

    ``model.clv(spend_model, horizon, rate, data=data, rate_unit=rate_unit)`` summed over
    customers; rows are the discount rates (per ``rate_unit``), columns the horizons (in the
    summary's periods).
    """
    horizons, rates = list(horizons), [float(d) for d in discount_rates]
    if not horizons or not rates:
        from ..errors import ParameterError

        raise ParameterError("equity_sensitivity: give at least one horizon and one discount rate.")
    grid = [[float(model.clv(spend_model, h, d, data=data, rate_unit=rate_unit).sum()) for h in horizons]
            for d in rates]
    return pd.DataFrame(grid, index=pd.Index(rates, name="discount_rate"),
                        columns=pd.Index(horizons, name="horizon"))
