"""Choosing the purchase model that the rest of an analysis uses.

A chapter compares several purchase models and then computes P(alive), CLV and everything
downstream with one of them. :func:`select_model` makes that choice explicit and explainable:
the model with the lowest information criterion, or the one the user named, with a sentence that
says which was used and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import ModelError, ParameterError

CRITERIA = {"bic": "bic_", "aic": "aic_"}

i18n.register({
    "clv.chosen_best": {
        "zh": "按 {criterion} 比较 {n} 个购买模型，{model} 的 {criterion} 最低（{score:,.1f}，比次优的 "
              "{runner_up} 低 {gap:,.1f}），因此以下的 P(alive) 与 CLV 都用 {model} 计算。",
        "en": "Of the {n} purchase models compared by {criterion}, {model} has the lowest "
              "{criterion} ({score:,.1f}, {gap:,.1f} below the runner-up {runner_up}), so P(alive) "
              "and CLV below are computed with {model}."},
    "clv.chosen_only": {
        "zh": "只估计了一个购买模型 {model}，以下的 P(alive) 与 CLV 都用它计算。",
        "en": "Only one purchase model, {model}, was fitted; P(alive) and CLV below use it."},
    "clv.chosen_given": {
        "zh": "按参数 clv_model 的指定，以下的 P(alive) 与 CLV 用 {model} 计算；按 {criterion} 最优的是 "
              "{best}（{model} 的 {criterion} 高出 {gap:,.1f}）。",
        "en": "As the parameter clv_model asks, P(alive) and CLV below are computed with {model}; "
              "by {criterion} the best model is {best} ({model}'s {criterion} is {gap:,.1f} higher)."},
    "clv.chosen_given_best": {
        "zh": "按参数 clv_model 的指定，以下的 P(alive) 与 CLV 用 {model} 计算，它也是按 {criterion} 最优的模型。",
        "en": "As the parameter clv_model asks, P(alive) and CLV below are computed with {model}, "
              "which is also the best model by {criterion}."},
})


@dataclass(frozen=True)
class ModelChoice:
    """The purchase model an analysis goes on with, and why.

    Attributes
    ----------
    key : str
        The chosen model's key in the mapping given to :func:`select_model` (e.g. ``"mbgnbd"``).
    model : fitted model
    best : str
        The key of the model with the lowest criterion (equal to ``key`` unless one was named).
    scores : Series
        The criterion of every model, by key, lowest first.
    criterion : str
        ``"bic"`` or ``"aic"``.
    requested : str
        What was asked for: ``"best"`` or a model key.
    models : dict
        Every model compared, by key.
    """

    key: str
    model: object
    best: str
    scores: pd.Series
    criterion: str
    requested: str
    models: dict = field(repr=False, default_factory=dict)

    @property
    def by_criterion(self) -> bool:
        return self.requested == "best"

    def reason(self, lang: str = "zh") -> str:
        """One sentence saying which model is used and why (zh or en)."""
        crit = self.criterion.upper()
        name = getattr(self.model, "name", self.key)
        names = {k: getattr(m, "name", k) for k, m in self.models.items()}
        if len(self.scores) == 1:
            return i18n.t("clv.chosen_only", lang, model=name)
        if self.by_criterion:
            runner_up = self.scores.index[1]
            return i18n.t("clv.chosen_best", lang, criterion=crit, n=len(self.scores), model=name,
                          score=float(self.scores.iloc[0]), runner_up=names[runner_up],
                          gap=float(self.scores.iloc[1] - self.scores.iloc[0]))
        if self.key == self.best:
            return i18n.t("clv.chosen_given_best", lang, model=name, criterion=crit)
        return i18n.t("clv.chosen_given", lang, model=name, criterion=crit, best=names[self.best],
                      gap=float(self.scores[self.key] - self.scores[self.best]))


def select_model(models: Mapping[str, object], choice: str = "best", *,
                 criterion: str = "bic") -> ModelChoice:
    """Choose the purchase model to go on with.

    Parameters
    ----------
    models : mapping of key -> fitted model
        E.g. ``{"bgnbd": ..., "mbgnbd": ..., "paretonbd": ...}``, all fitted on the same data.
    choice : str
        ``"best"`` (default): the lowest ``criterion``; or one of the keys, to use that model
        whatever the comparison says (the reason then names the best model too).
    criterion : {"bic", "aic"}

    Returns
    -------
    ModelChoice
        ``.model`` is the model to use, ``.reason(lang)`` the sentence for the report.
    """
    if criterion not in CRITERIA:
        raise ParameterError(f"criterion={criterion!r} is unknown; use 'bic' or 'aic'.")
    if not models:
        raise ParameterError("select_model needs at least one fitted model (models=[...] is empty).")
    scores = {}
    for key, m in models.items():
        value = getattr(m, CRITERIA[criterion], None)
        if value is None:
            raise ModelError(f"models[{key!r}] is not a fitted model; fit it first.")
        scores[key] = float(value)
    if not all(np.isfinite(v) for v in scores.values()):
        bad = [k for k, v in scores.items() if not np.isfinite(v)]
        raise ModelError(f"{criterion.upper()} is not finite for {', '.join(bad)}; these fits failed.")
    ordered = pd.Series(scores, name=criterion).sort_values(kind="stable")
    best = str(ordered.index[0])
    requested = str(choice).strip()
    if requested.lower() == "best":
        key = best
        requested = "best"
    else:
        from . import model_class

        wanted = model_class(requested)  # ParameterError for an unknown model name
        matches = [k for k, m in models.items() if type(m) is wanted]
        if not matches:
            raise ParameterError(
                f"clv_model={choice!r} was not among the fitted models ({', '.join(models)}); add it to "
                f"models (command line: -p models='[...]') or use clv_model='best' "
                f"(-p clv_model=best).")
        key = matches[0]
    return ModelChoice(key=key, model=models[key], best=best, scores=ordered, criterion=criterion,
                       requested=requested, models=dict(models))


@dataclass(frozen=True)
class CustomerValue:
    """Per-customer P(alive) and CLV from the chosen purchase model and Gamma-Gamma.

    Attributes
    ----------
    frame : DataFrame
        ``p_alive`` and ``clv`` by customer (the summary's index).
    choice : ModelChoice
        Which purchase model was used, and why (``choice.reason(lang)``).
    spend : GammaGamma
        The fitted spend model.
    periods : int
        The horizon in whole periods of the summary's time unit.
    """

    frame: pd.DataFrame
    choice: ModelChoice
    spend: object
    periods: int


def customer_value(summary: pd.DataFrame, *, models=("bgnbd", "mbgnbd", "paretonbd"),
                   clv_model: str = "best", horizon: str = "52W", discount_rate: float = 0.1,
                   rate_unit: str = "Y", penalizer: float = 0.0, seed: int | None = None) -> CustomerValue:
    """Fit the purchase ``models``, choose one (:func:`select_model`), and give each customer's
    P(alive) and CLV with it and a Gamma-Gamma spend model.

    This is what the segmentation and strategy chapters take from the CLV chapter, so that all
    three use the same model for the same parameters.

    Parameters
    ----------
    summary : DataFrame
        A :func:`crmlab.summarise` frame with ``monetary_value`` (its ``attrs`` carry the time unit).
    models : sequence of str
        Purchase models compared by BIC.
    clv_model : str
        ``"best"`` or one of ``models``.
    horizon : str
        The CLV horizon with its unit, e.g. ``"52W"``, ``"12M"``, ``"1Y"``.
    discount_rate, rate_unit : float, str
        The discount rate and the period it is quoted per (``"Y"``: yearly).
    """
    from . import fit
    from ..summary import compress
    from ..units import time_unit_of, whole_periods

    patterns = compress(summary)
    fitted = {name: fit(name, patterns, penalizer=penalizer, seed=seed) for name in models}
    choice = select_model(fitted, clv_model)
    spend = fit("gammagamma", summary)
    periods = whole_periods(horizon, time_unit_of(summary), name="horizon")
    frame = pd.DataFrame({
        "p_alive": choice.model.p_alive(summary),
        "clv": choice.model.clv(spend, periods, discount_rate, data=summary, rate_unit=rate_unit),
    })
    return CustomerValue(frame=frame, choice=choice, spend=spend, periods=periods)
