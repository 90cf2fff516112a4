"""Survey analysis of perceived value, satisfaction and loyalty: customer delivered value
(Kotler, :func:`delivered_value`), :func:`cronbach_alpha`, :func:`reliability`,
:func:`factor_loadings` and :func:`loyalty_regression`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, ParameterError
from ..tables import Table
from ._common import _criteria_frame

i18n.register({
    "col.alpha": {"zh": "Cronbach's α", "en": "Cronbach's α"},
    "col.n_items": {"zh": "题项数", "en": "Items"},
    "col.construct": {"zh": "构念", "en": "Construct"},
    "col.product_value": {"zh": "产品价值", "en": "Product value"},
    "col.service_value": {"zh": "服务价值", "en": "Service value"},
    "col.personnel_value": {"zh": "人员价值", "en": "Personnel value"},
    "col.image_value": {"zh": "形象价值", "en": "Image value"},
    "col.monetary_cost": {"zh": "货币成本", "en": "Monetary cost"},
    "col.time_cost": {"zh": "时间成本", "en": "Time cost"},
    "col.energy_cost": {"zh": "精力成本", "en": "Energy cost"},
    "col.satisfaction": {"zh": "顾客满意度", "en": "Satisfaction"},
    "col.loyalty": {"zh": "顾客忠诚度", "en": "Loyalty"},
    "col.perceived_value": {"zh": "感知价值", "en": "Perceived value"},
    "value.reliability": {"zh": "量表信度分析", "en": "Scale reliability"},
})


VALUE_COMPONENTS = ("product_value", "service_value", "personnel_value", "image_value")
COST_COMPONENTS = ("monetary_cost", "time_cost", "energy_cost")


def _construct_means(frame: pd.DataFrame, constructs: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    out = {}
    for name, items in constructs.items():
        items = [items] if isinstance(items, str) else list(items)
        missing = [c for c in items if c not in frame.columns]
        if missing:
            raise DataError(f"construct {name!r} needs columns {missing}, which the survey "
                            f"lacks; pass constructs={{...}} naming your item columns.")
        out[name] = frame[items].astype("float64").mean(axis=1)
    return pd.DataFrame(out, index=frame.index)


def default_constructs(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Group item columns named ``<construct>_<k>`` (as :func:`simulate_survey` makes them)."""
    if "constructs" in frame.attrs:
        return {k: list(v) for k, v in frame.attrs["constructs"].items()}
    groups: dict[str, list[str]] = {}
    for col in frame.columns:
        head, _, tail = str(col).rpartition("_")
        if head and tail.isdigit():
            groups.setdefault(head, []).append(col)
    if not groups:
        raise DataError("no item columns named '<construct>_<k>' found; pass constructs="
                        "{'product_value': ['q1', 'q2'], ...} explicitly.")
    return groups


def delivered_value(survey: pd.DataFrame, *, constructs=None, value=VALUE_COMPONENTS,
                    cost=COST_COMPONENTS, weights=None) -> pd.DataFrame:
    """Customer delivered value = total customer value − total customer cost, per respondent.

    Each component is the mean of its items; total value (cost) is the (weighted) sum of the
    value (cost) components.

    Parameters
    ----------
    survey : DataFrame
        Item scores, one row per respondent.
    constructs : mapping, optional
        Component → item columns; default groups ``<component>_<k>`` columns.
    value, cost : sequence of str
        The component names on each side.
    weights : mapping, optional
        Component → weight (default 1 each).

    Returns
    -------
    DataFrame with one column per component, then ``total_value``, ``total_cost`` and
    ``delivered_value``.
    """
    constructs = default_constructs(survey) if constructs is None else constructs
    need = list(value) + list(cost)
    missing = [c for c in need if c not in constructs]
    if missing:
        raise ParameterError(f"components {missing} have no item columns; name them in "
                             f"constructs= or drop them from value=/cost=.")
    comp = _construct_means(survey, {k: constructs[k] for k in need})
    w = {k: 1.0 for k in need}
    if weights is not None:
        unknown = set(weights) - set(need)
        if unknown:
            raise ParameterError(f"weights name unknown components {sorted(unknown)}; "
                                 f"use some of {need}.")
        w.update({k: float(v) for k, v in weights.items()})
    comp["total_value"] = sum(w[k] * comp[k] for k in value)
    comp["total_cost"] = sum(w[k] * comp[k] for k in cost)
    comp["delivered_value"] = comp["total_value"] - comp["total_cost"]
    return comp


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Cronbach's α of a set of items: ``k/(k−1) · (1 − Σ var(item) / var(total))``."""
    x = _criteria_frame(items)
    k = x.shape[1]
    if k < 2:
        raise ParameterError("Cronbach's α needs at least two items.")
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise DataError("the items' total score is constant: α is undefined.")
    return float(k / (k - 1) * (1 - x.var(ddof=1).sum() / total_var))


def reliability(survey: pd.DataFrame, constructs=None, lang: str = "zh") -> Table:
    """Cronbach's α per construct (≥ 0.7 is the usual bar)."""
    constructs = default_constructs(survey) if constructs is None else constructs
    rows = []
    for name, items in constructs.items():
        rows.append({"construct": name, "n_items": len(items),
                     "alpha": cronbach_alpha(survey[list(items)]),
                     "mean": float(survey[list(items)].astype(float).mean(axis=1).mean())})
    frame = pd.DataFrame(rows).set_index("construct")
    return Table(frame, "value.reliability", i18n.t("value.reliability", lang), lang=lang)


def factor_loadings(survey: pd.DataFrame, items=None, n_factors: int | None = None, *,
                    rotation: str | None = "varimax", seed: int = 0) -> pd.DataFrame:
    """Exploratory factor analysis (scikit-learn, maximum likelihood) on standardised items.

    Returns the loadings, one row per item and one column per factor (``F1``..). By default
    ``n_factors`` is the number of constructs found by :func:`default_constructs`.
    """
    from sklearn.decomposition import FactorAnalysis

    if items is None:
        groups = default_constructs(survey)
        items = [c for cols in groups.values() for c in cols]
        n_factors = len(groups) if n_factors is None else n_factors
    x = _criteria_frame(survey, items)
    if n_factors is None or not 1 <= int(n_factors) <= x.shape[1]:
        raise ParameterError(f"n_factors={n_factors!r} must be between 1 and the number of "
                             f"items ({x.shape[1]}).")
    sd = x.std(ddof=0)
    if (sd == 0).any():
        raise DataError(f"items {list(sd.index[sd == 0])} are constant; drop them.")
    z = (x - x.mean()) / sd
    fa = FactorAnalysis(n_components=int(n_factors), rotation=rotation, random_state=seed)
    fa.fit(z.to_numpy())
    load = pd.DataFrame(fa.components_.T, index=x.columns,
                        columns=[f"F{i + 1}" for i in range(int(n_factors))])
    # sign convention: each factor's largest loading is positive
    flip = np.sign(load.apply(lambda col: col[col.abs().idxmax()]))
    return load * flip


def loyalty_regression(survey: pd.DataFrame, constructs=None, *, outcome: str = "loyalty",
                       predictors=("satisfaction", "perceived_value")):
    """OLS of loyalty on satisfaction and perceived value (construct means), statsmodels.

    ``perceived_value`` is built, when it is not itself a construct, as customer delivered value
    (:func:`delivered_value`: total value − total cost). Returns the fitted statsmodels results
    (``.summary()``, ``.params``, ``.pvalues``, ``.rsquared``).
    """
    import statsmodels.api as sm

    constructs = default_constructs(survey) if constructs is None else constructs
    data = _construct_means(survey, {k: v for k, v in constructs.items()
                                     if k in set(predictors) | {outcome}})
    if "perceived_value" in predictors and "perceived_value" not in data.columns:
        data["perceived_value"] = delivered_value(survey, constructs=constructs)["delivered_value"]
    missing = [c for c in (outcome, *predictors) if c not in data.columns]
    if missing:
        raise DataError(f"constructs {missing} not found in the survey; name their items in "
                        f"constructs=.")
    x = sm.add_constant(data[list(predictors)])
    return sm.OLS(data[outcome], x).fit()
