"""Strategy evaluation: from segments and CLV to decisions, with measured effects and uncertainty.

* Campaign tests — :func:`ab_test`, :func:`sample_size`, :func:`achieved_power`.
* Uplift — :func:`uplift` (T-learner, class transformation), :func:`qini`,
  :func:`compare_targeting`.
* Targeting policies — :func:`policy_profit` (profit, ROI, gain and lift by threshold; the
  profit-maximising threshold with a bootstrap interval).
* Retention economics — :func:`markov_clv` (Pfeifer & Carraway 2000) with
  :func:`recency_states`, :func:`estimate_transitions`, :func:`migration_scenario`;
  :func:`retention_scenario` (Reichheld & Sasser), :func:`acquisition_vs_retention`
  (Blattberg & Deighton), :func:`churn_value` (客户流失价值).
* Strategy tables as data — :func:`strategy_table`, :func:`plan`.
* Case 3-1 — :func:`reallocation_case`, :func:`composite_score`.
* Figures — :mod:`crmlab.strategy.figures`.
"""

from __future__ import annotations

from .abtest import ab_test, achieved_power, sample_size
from .case import CaseResult, composite_score, reallocation_case
from .economics import (
    acquisition_vs_retention,
    bd_calibrate,
    bd_response,
    churn_value,
    customer_equity,
    retention_clv,
    retention_scenario,
)
from .markov import (
    check_transition,
    estimate_transitions,
    markov_clv,
    migration_scenario,
    recency_states,
    shift_transition,
    state_rewards,
)
from .policy import PolicyResult, policy_profit
from .tables import StrategyTable, localise_columns, plan, strategy_table
from .uplift import QiniResult, UpliftModel, compare_targeting, qini, uplift

__all__ = [
    "ab_test", "achieved_power", "sample_size",
    "CaseResult", "composite_score", "reallocation_case",
    "acquisition_vs_retention", "bd_calibrate", "bd_response", "churn_value", "customer_equity",
    "retention_clv", "retention_scenario",
    "check_transition", "estimate_transitions", "markov_clv", "migration_scenario",
    "recency_states", "shift_transition", "state_rewards",
    "PolicyResult", "policy_profit",
    "StrategyTable", "localise_columns", "plan", "strategy_table",
    "QiniResult", "UpliftModel", "compare_targeting", "qini", "uplift",
]


def __getattr__(name: str):
    # figures pull in matplotlib; load them only when asked for
    if name == "figures":
        import importlib

        return importlib.import_module("crmlab.strategy.figures")
    raise AttributeError(f"module 'crmlab.strategy' has no attribute {name!r}")
