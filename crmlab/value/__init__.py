"""Customer value theory made computable (notebook 01).

One module per topic; every public name is importable from ``crmlab.value``.

* :mod:`~crmlab.value.concentration`: :func:`gini`, :func:`lorenz`, :func:`concentration`
  (top-k% shares, the 80/20 check), :func:`whale_curve` (cumulative profit by customer rank under
  a cost-to-serve model, with the 20/80/30 reading) and the customer pyramid :func:`pyramid`
  (Zeithaml, Rust & Lemon 2001).
* :mod:`~crmlab.value.retention`: retention economics and CLV arithmetic, :func:`retention_clv`,
  :func:`clv_simple`, :func:`clv_finite`, :func:`customer_equity`, :func:`retention_uplift` (the
  Reichheld & Sasser 5-point exercise), :func:`margin_per_year`, :func:`clv_components`.
* :mod:`~crmlab.value.mcda`: multi-criteria weights, :func:`ahp_weights`,
  :func:`entropy_weights`, :func:`weighted_score`, :func:`topsis`.
* :mod:`~crmlab.value.scores`: :func:`value_scores` (an indicator hierarchy from a dict/YAML spec)
  and the customer value matrix :func:`value_matrix`.
* :mod:`~crmlab.value.survey`: customer delivered value (Kotler) :func:`delivered_value`, and the
  survey analysis of perceived value, satisfaction and loyalty: :func:`cronbach_alpha`,
  :func:`reliability`, :func:`factor_loadings`, :func:`loyalty_regression`.
* :mod:`~crmlab.value.ladder`: the loyalty ladder, :func:`loyalty_ladder`,
  :func:`ladder_transitions`.
* :mod:`~crmlab.value.plots`: the ``plot_*`` figures with zh/en labels.

Everything here is pure: frames in, frames/result objects out. The value modules depend on no
other analysis package (:mod:`crmlab.strategy` builds on :func:`retention_clv`).
"""

from __future__ import annotations

from .concentration import (
    PYRAMID_TIERS, Pyramid, WhaleCurve, concentration, gini, lorenz, pyramid, whale_curve,
)
from .ladder import (LADDER, UNOBSERVABLE, climb_share, ladder_counts, ladder_moves,
                     ladder_snapshots, ladder_strategies, ladder_transitions, loyalty_ladder,
                     purchases_between)
from .mcda import (
    RANDOM_INDEX, AhpResult, EntropyResult, ahp_weights, entropy_weights, minmax, topsis,
    weighted_score,
)
from .plots import (
    item_label, plot_delivered_value, plot_loadings, plot_lorenz, plot_pyramid, plot_value_matrix,
    plot_whale,
)
from .retention import (
    CLV_COMPONENTS, clv_components, clv_finite, clv_simple, customer_equity, margin_per_year,
    retention_clv, retention_uplift,
)
from .scores import (
    BUILTIN_SPECS, RULES_DIR, ValueScores, load_spec, matrix_classes, value_matrix,
    value_matrix_summary, value_scores,
)
from .survey import (
    COST_COMPONENTS, VALUE_COMPONENTS, cronbach_alpha, default_constructs, delivered_value,
    factor_loadings, loyalty_regression, reliability,
)

__all__ = [
    # concentration
    "gini", "lorenz", "concentration", "WhaleCurve", "whale_curve", "PYRAMID_TIERS", "Pyramid",
    "pyramid",
    # retention economics
    "retention_clv", "clv_simple", "clv_finite", "customer_equity", "retention_uplift",
    "margin_per_year", "CLV_COMPONENTS", "clv_components",
    # MCDA
    "RANDOM_INDEX", "AhpResult", "ahp_weights", "minmax", "EntropyResult", "entropy_weights",
    "weighted_score", "topsis",
    # value scores and matrix
    "RULES_DIR", "BUILTIN_SPECS", "load_spec", "ValueScores", "value_scores", "matrix_classes",
    "value_matrix", "value_matrix_summary",
    # survey
    "VALUE_COMPONENTS", "COST_COMPONENTS", "default_constructs", "delivered_value",
    "cronbach_alpha", "reliability", "factor_loadings", "loyalty_regression",
    # loyalty ladder
    "LADDER", "loyalty_ladder", "ladder_transitions", "UNOBSERVABLE", "ladder_snapshots",
    "ladder_counts", "ladder_moves", "climb_share", "ladder_strategies", "purchases_between",
    # figures
    "plot_lorenz", "plot_whale", "plot_pyramid", "plot_value_matrix", "plot_delivered_value",
    "item_label", "plot_loadings",
]
