"""Retention economics: CLV arithmetic with constant margin and retention.

:func:`retention_clv` (margin at the start of each period; also used by
:mod:`crmlab.strategy.economics`), :func:`clv_simple` and :func:`clv_finite` (margin at the end of
each period), :func:`customer_equity`, :func:`retention_uplift` (the Reichheld & Sasser
5-point exercise), :func:`margin_per_year` and :func:`clv_components` (CLV1–CLV6).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import DataError, ParameterError
from ._common import _values

i18n.register({
    "col.component": {"zh": "构成", "en": "Component"},
    "value.retention_uplift": {"zh": "保持率提高的利润效应", "en": "Profit effect of higher retention"},
    "value.clv_components": {"zh": "客户终生价值构成", "en": "CLV components"},
    "clv.first_purchase": {"zh": "CLV1 初次购买", "en": "CLV1 first purchase"},
    "clv.repeat_purchase": {"zh": "CLV2 重复购买", "en": "CLV2 repeat purchases"},
    "clv.cross_selling": {"zh": "CLV3 交叉销售", "en": "CLV3 cross-selling"},
    "clv.service_cost_saving": {"zh": "CLV4 服务成本降低", "en": "CLV4 lower service cost"},
    "clv.referral": {"zh": "CLV5 推荐收益", "en": "CLV5 referral revenue"},
    "clv.loyalty_value": {"zh": "CLV6 客户忠诚带来的价值", "en": "CLV6 loyalty value"},
})


def retention_clv(margin, retention, discount_rate, *, horizon: int | None = None):
    """Value of a customer with constant margin and retention, margin received at period start.

    Infinite horizon: ``m (1 + d) / (1 + d − r)`` (Gupta & Lehmann 2003); horizon T:
    ``m Σ_{t<T} (r / (1 + d))^t``. Works elementwise on arrays. :func:`clv_simple` and
    :func:`clv_finite` are this value shifted by one period (margin at period end).
    """
    m, r, d = (np.asarray(x, dtype=float) for x in (margin, retention, discount_rate))
    if np.any((r < 0) | (r > 1)):
        raise ParameterError("retention must be a probability in [0, 1].")
    if np.any(d <= -1):
        raise ParameterError("discount_rate must be greater than -1.")
    q = r / (1 + d)
    if horizon is None:
        if np.any(q >= 1):
            raise ParameterError("an infinite horizon needs retention < 1 + discount_rate.")
        return m / (1 - q)
    if isinstance(horizon, bool) or int(horizon) != horizon or int(horizon) < 1:
        raise ParameterError(f"horizon={horizon!r} must be an integer >= 1 (or None for an "
                             f"infinite horizon).")
    h = int(horizon)
    return m * np.where(q == 1, h, (1 - q**h) / np.where(q == 1, 0.5, 1 - q))


def _check_rates(retention, discount):
    r = np.asarray(retention, dtype="float64")
    d = np.asarray(discount, dtype="float64")
    if np.any((r < 0) | (r >= 1)):
        raise ParameterError(f"retention={retention!r} must lie in [0, 1).")
    if np.any(d <= -1):
        raise ParameterError(f"discount={discount!r} must be greater than -1.")
    return r, d


def clv_simple(margin, retention, discount):
    """Infinite-horizon CLV with constant margin and retention: ``m·r / (1 + d − r)``.

    The margin is earned at the end of each period the customer survives (first margin after one
    retention), i.e. ``Σ_{t≥1} m·(r/(1+d))^t``. This is
    :func:`retention_clv` (margin at the start of each period)
    shifted by one period, ``r/(1+d)``. Works elementwise on arrays/Series.
    """
    r, d = _check_rates(retention, discount)
    out = r / (1 + d) * retention_clv(margin, r, d)
    return out if np.ndim(out) else float(out)


def clv_finite(margin, retention, discount, periods: int):
    """CLV over ``periods`` periods: ``Σ_{t=1}^{T} m·r^t / (1+d)^t`` (end-of-period margins)."""
    if int(periods) != periods or periods < 0:
        raise ParameterError(f"periods={periods!r} must be a non-negative whole number.")
    r, d = _check_rates(retention, discount)
    if periods == 0:
        out = np.zeros(np.broadcast(np.asarray(margin), r, d).shape)
    else:
        out = r / (1 + d) * retention_clv(margin, r, d, horizon=int(periods))
    return out if np.ndim(out) else float(out)


def customer_equity(clv, n_customers=None) -> float:
    """Customer equity: the sum of CLV over the customer base.

    ``clv`` is a per-customer Series (summed), or one CLV multiplied by ``n_customers``.
    """
    if n_customers is None:
        return float(_values(clv, "clv", allow_negative=True).sum())
    if n_customers < 0:
        raise ParameterError("n_customers must be >= 0.")
    return float(clv) * float(n_customers)


def retention_uplift(margin, retention, discount, delta: float = 0.05,
                     periods: int | None = None) -> pd.DataFrame:
    """The Reichheld & Sasser (1990) exercise: the value effect of ``delta`` more retention.

    Compares CLV at ``retention`` and at ``retention + delta`` (infinite horizon, or ``periods``),
    with fixed inputs. Reichheld & Sasser report +25% to +85% profit for 5 points, depending on
    the industry. :func:`crmlab.strategy.retention_scenario` runs the same exercise with
    uncertain inputs and margin growth.

    Returns
    -------
    DataFrame indexed by ``base``/``improved`` with ``retention``, ``clv`` and ``change``
    (relative to base).
    """
    r1 = float(retention) + float(delta)
    f = clv_simple if periods is None else (lambda m, r, d: clv_finite(m, r, d, periods))
    base = f(margin, retention, discount)
    new = f(margin, r1, discount)
    return pd.DataFrame({"retention": [float(retention), r1], "clv": [base, new],
                         "change": [0.0, new / base - 1 if base else float("nan")]},
                        index=pd.Index(["base", "improved"], name="scenario"))


def margin_per_year(summary: pd.DataFrame, gross_margin: float) -> float:
    """Average yearly gross margin per customer: the input of the retention-economics exercise.

    ``gross_margin`` × mean ``total_amount`` of a :func:`crmlab.summarise` frame, spread over
    the years from the first purchase in the data to ``attrs["observation_end"]``.
    """
    if not isinstance(summary, pd.DataFrame) or not {"total_amount", "first_purchase"} <= set(summary):
        raise ParameterError("margin_per_year needs a crmlab.summarise frame with total_amount and "
                             "first_purchase (the log must have amounts).")
    end = summary.attrs.get("observation_end")
    if end is None:
        raise ParameterError("margin_per_year: the summary has no attrs['observation_end']; build "
                             "it with crmlab.summarise.")
    if not 0 <= float(gross_margin) <= 1:
        raise ParameterError(f"gross_margin={gross_margin!r} must be a share in [0, 1].")
    days = (pd.Timestamp(end) - pd.to_datetime(summary["first_purchase"]).min().normalize()).days
    if days <= 0:
        raise DataError("margin_per_year: the data span less than a day before observation_end.")
    return float(gross_margin) * float(summary["total_amount"].mean()) / (days / 365.25)


CLV_COMPONENTS = ("first_purchase", "repeat_purchase", "cross_selling", "service_cost_saving",
                  "referral", "loyalty_value")


def clv_components(frame: pd.DataFrame) -> pd.DataFrame:
    """Totals and shares of the CLV1–CLV6 components present as columns in ``frame``.

    Columns are matched by name (``first_purchase``, ``repeat_purchase``, ``cross_selling``,
    ``service_cost_saving``, ``referral``, ``loyalty_value``); at least one is needed.
    """
    present = [c for c in CLV_COMPONENTS if c in frame.columns]
    if not present:
        raise DataError(f"no CLV component columns found; name them {list(CLV_COMPONENTS)}.")
    tot = frame[present].astype("float64").sum()
    out = pd.DataFrame({"value": tot.to_numpy(), "share": (tot / tot.sum()).to_numpy()},
                       index=pd.Index([f"clv.{c}" for c in present], name="component"))
    return out
