"""CLV / BTYD models fitted by maximum likelihood.

Models (lifetimes' parameter names): :class:`BetaGeo` (BG/NBD), :class:`ModifiedBetaGeo`
(MBG/NBD), :class:`ParetoNBD`, :class:`BetaGeoBetaBinom` (BG/BB), :class:`GammaGamma`,
:class:`ShiftedBetaGeometric` (sBG), and the regularity models :class:`BetaGeoCNBDk`
(BG/CNBD-k) and :class:`ModifiedBetaGeoCNBDk` (MBG/CNBD-k, :mod:`crmlab.clv.cnbdk`).
``fit("bgnbd", summary)`` is the single entry point; ``fit(..., covariates=...)`` adds
time-invariant covariates to Pareto/NBD and BG/NBD (:mod:`crmlab.clv.covariates`);
``fit(..., time_unit="W")`` takes a plain summary (e.g. lifetimes'), and
:func:`from_params` builds a model from published parameters.
Every time argument is in the unit of the summary the model was fitted on
(``summary.attrs["time_unit"]``); a discount rate always comes with its ``rate_unit``.

Fitting: maximum likelihood on log parameters with exact gradients, L-BFGS-B from several
starts (explored on a subsample of customers for large data, then polished on all unique
frequency/recency/T patterns), optional L2 ``penalizer`` as in lifetimes. A maximum on the
boundary (BG/NBD a, b → ∞; Pareto/NBD s, β → ∞) is returned as the limiting model with a note,
not as an error. Validation: :func:`holdout_report`, :func:`tracking`,
:func:`conditional_by_frequency`, :func:`chi2_frequency`, :func:`fit_table`; figures in :mod:`crmlab.clv.plots`.
"""

from __future__ import annotations

from ..errors import ParameterError
from .bgbb import BetaGeoBetaBinom
from .bgnbd import BetaGeo, ModifiedBetaGeo
from .cnbdk import BetaGeoCNBDk, ModifiedBetaGeoCNBDk
from .gammagamma import GammaGamma
from .paretonbd import ParetoNBD
from .sbg import ShiftedBetaGeometric
from .selection import CustomerValue, ModelChoice, customer_value, select_model
from .features import (add_covariates, covariate_reading, describe_covariates, first_purchase_amount,
                       placebo_channel)
from .regularity import regularity_table
from .validation import chi2_frequency, conditional_by_frequency, fit_table, holdout_report, tracking

MODELS = {
    "bgnbd": BetaGeo,
    "mbgnbd": ModifiedBetaGeo,
    "paretonbd": ParetoNBD,
    "bgbb": BetaGeoBetaBinom,
    "gammagamma": GammaGamma,
    "sbg": ShiftedBetaGeometric,
    "bgcnbdk": BetaGeoCNBDk,
    "mbgcnbdk": ModifiedBetaGeoCNBDk,
}


def model_class(model: str):
    """The model class for a name such as ``"bgnbd"`` or ``"BG/NBD"`` (ParameterError if unknown)."""
    key = str(model).lower().replace("/", "").replace("-", "").replace("_", "")
    if key not in MODELS:
        raise ParameterError(f"model={model!r} is unknown; use one of {', '.join(MODELS)}.")
    return MODELS[key]


def _construct(model: str, options: dict):
    cls = model_class(model)
    try:
        return cls(**options)
    except TypeError as e:
        raise ParameterError(f"{model}: unknown option ({e}); see help(crmlab.clv.{cls.__name__}).") from None


def fit(model: str, summary, *, time_unit: str | None = None, **options):
    """Fit a CLV model by name and return the fitted model.

    Parameters
    ----------
    model : {"bgnbd", "mbgnbd", "paretonbd", "bgbb", "gammagamma", "sbg", "bgcnbdk", "mbgcnbdk"}
    summary : DataFrame
        A :func:`crmlab.summarise` or :func:`crmlab.compress` frame (survivors by period for sBG),
        or a plain frame with the same columns, e.g. from lifetimes'
        ``summary_data_from_transaction_data`` or from SQL, with ``time_unit=``.
    time_unit : {'D', 'W', 'M'}, optional
        The unit of recency and T of a plain summary without ``attrs["time_unit"]``. When the
        summary carries its own unit, that unit is used and a different ``time_unit`` is a
        ParameterError. A model fitted this way also predicts on plain frames (taken to be in
        the same unit).
    covariates : list or dict, optional
        Time-invariant covariates for ``"paretonbd"`` and ``"bgnbd"``: numeric columns of the
        summary, ``{"purchase": [...], "dropout": [...]}`` or a list for both processes; a
        positive coefficient means more purchasing or faster dropout (see
        :mod:`crmlab.clv.covariates`).
    **options
        Passed to the model's constructor (``penalizer``, ``n_starts``, ``seed``...; ``k`` for
        the CNBD-k models).
    """
    if options.get("covariates") is not None:
        m = _with_covariates(model, options)
    else:
        options.pop("covariates", None)
        m = _construct(model, options)
    if time_unit is not None:
        summary = _with_unit(summary, time_unit, m)
    return m.fit(summary)


def _with_covariates(model, options):
    """The covariate version of Pareto/NBD or BG/NBD (see :mod:`crmlab.clv.covariates`)."""
    from .covariates import BetaGeoCovariates, ParetoNBDCovariates

    cls = {ParetoNBD: ParetoNBDCovariates, BetaGeo: BetaGeoCovariates}.get(model_class(model))
    if cls is None:
        raise ParameterError(f"covariates= is available for 'paretonbd' and 'bgnbd', not {model!r}.")
    try:
        return cls(**options)
    except TypeError as e:
        raise ParameterError(f"{model}: unknown option ({e}); see help(crmlab.clv.{cls.__name__}).") from None


def _with_unit(summary, time_unit, m):
    """``summary`` carrying ``time_unit`` (a shallow copy), or ParameterError on a conflict."""
    import pandas as pd

    from ..units import check_unit

    continuous = isinstance(m, (BetaGeo, ParetoNBD))
    unit = check_unit(time_unit) if continuous else str(time_unit)
    if not isinstance(summary, (pd.DataFrame, pd.Series)):
        return summary  # the model says what it needs
    own = summary.attrs.get("time_unit")
    if own is not None:
        same = (str(own).upper() == unit) if continuous else (str(own) == unit)
        if not same:
            raise ParameterError(
                f"time_unit={time_unit!r} conflicts with the summary's own unit "
                f"(summary.attrs['time_unit'] = {own!r}), which wins; drop time_unit=, or rebuild "
                f"the summary with crmlab.summarise(..., time_unit={time_unit!r}).")
        return summary
    out = summary.copy(deep=False)
    out.attrs = dict(summary.attrs, time_unit=unit)
    m._assume_unit = True
    return out


def from_params(model: str, params, *, time_unit: str | None = None, **options):
    """A model with given (published) parameters, ready to predict without data.

    Textbook exercises and published tables start from a paper's estimates rather than a fit::

        bg = clv.from_params("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
                             time_unit="W")
        bg.p_alive(summary); bg.expected_purchases(52); bg.pmf(0, 39)

    Parameters
    ----------
    model : str
        Any name :func:`fit` accepts.
    params : dict or Series
        Every parameter of the model (``MODELS[model].param_names``), each > 0; ``k`` (a whole
        number >= 1) for the CNBD-k models.
    time_unit : {'D', 'W', 'M'}
        Required for the continuous-time models (the unit the parameters are in); BG/BB counts
        purchase opportunities, Gamma-Gamma has no time, sBG counts contract periods.

    Returns
    -------
    Model
        Predictions need ``data=`` (there is no fitted data); intervals are refused, as there is
        no parameter covariance.
    """
    m = _construct(model, options)
    return m._set_given(params, time_unit)


__all__ = ["MODELS", "fit", "from_params", "model_class", "BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "BetaGeoBetaBinom",
           "GammaGamma", "ShiftedBetaGeometric", "BetaGeoCNBDk", "ModifiedBetaGeoCNBDk", "holdout_report", "tracking",
           "conditional_by_frequency", "chi2_frequency", "fit_table"]
