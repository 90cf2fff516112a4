"""CLV / BTYD models fitted by maximum likelihood.

Models (lifetimes' parameter names): :class:`BetaGeo` (BG/NBD), :class:`ModifiedBetaGeo`
(MBG/NBD), :class:`ParetoNBD`, :class:`BetaGeoBetaBinom` (BG/BB), :class:`GammaGamma` and
:class:`ShiftedBetaGeometric` (sBG). ``fit("bgnbd", summary)`` is the single entry point.
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
from .gammagamma import GammaGamma
from .paretonbd import ParetoNBD
from .sbg import ShiftedBetaGeometric
from .validation import chi2_frequency, conditional_by_frequency, fit_table, holdout_report, tracking

MODELS = {
    "bgnbd": BetaGeo,
    "mbgnbd": ModifiedBetaGeo,
    "paretonbd": ParetoNBD,
    "bgbb": BetaGeoBetaBinom,
    "gammagamma": GammaGamma,
    "sbg": ShiftedBetaGeometric,
}


def fit(model: str, summary, **options):
    """Fit a CLV model by name and return the fitted model.

    Parameters
    ----------
    model : {"bgnbd", "mbgnbd", "paretonbd", "bgbb", "gammagamma", "sbg"}
    summary : DataFrame
        A :func:`crmlab.summarise` or :func:`crmlab.compress` frame (survivors by period for sBG).
    **options
        Passed to the model's constructor (``penalizer``, ``n_starts``, ``seed``...).
    """
    key = str(model).lower().replace("/", "").replace("-", "").replace("_", "")
    if key not in MODELS:
        raise ParameterError(f"model={model!r} is unknown; use one of {', '.join(MODELS)}.")
    try:
        m = MODELS[key](**options)
    except TypeError as e:
        raise ParameterError(f"{model}: unknown option ({e}); see help(crmlab.clv.{MODELS[key].__name__}).") from None
    return m.fit(summary)


__all__ = ["MODELS", "fit", "BetaGeo", "ModifiedBetaGeo", "ParetoNBD", "BetaGeoBetaBinom",
           "GammaGamma", "ShiftedBetaGeometric", "holdout_report", "tracking",
           "conditional_by_frequency", "chi2_frequency", "fit_table"]
