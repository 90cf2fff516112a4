"""Seeded simulators of the course cases (DOMAIN.md §1, §2, §4).

Each function returns a pandas DataFrame, is deterministic for a given ``seed`` and documents
the data-generating process, so a notebook can state what the "true" answer is.

* :func:`simulate_bank`: the bank case, current-value and potential-value indicators.
* :func:`simulate_distributor`: Case 3-1, an electronics distributor's customer list.
* :func:`simulate_survey`: a perceived-value / satisfaction / loyalty questionnaire.

Column names are English snake_case; Chinese labels come from :mod:`crmlab.i18n`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import ParameterError

i18n.register({
    "col.consumption_value": {"zh": "消费价值", "en": "Consumption value"},
    "col.revenue_contribution": {"zh": "收入贡献", "en": "Revenue contribution"},
    "col.cost": {"zh": "成本", "en": "Cost"},
    "col.credit": {"zh": "信用度", "en": "Creditworthiness"},
    "col.switching_cost": {"zh": "转移成本", "en": "Switching cost"},
    "col.continuity": {"zh": "交易连续性", "en": "Continuity of transactions"},
    "col.tenure": {"zh": "关系持续时间（年）", "en": "Tenure (years)"},
    "col.future_profit": {"zh": "未来利润", "en": "Future profit"},
    "col.latent_current": {"zh": "真实当前价值（模拟）", "en": "True current value (simulated)"},
    "col.latent_potential": {"zh": "真实潜在价值（模拟）", "en": "True potential value (simulated)"},
    "col.sales_value": {"zh": "销售额", "en": "Sales value"},
    "col.sales_volume": {"zh": "销售量", "en": "Sales volume"},
    "col.receivables": {"zh": "欠款额", "en": "Receivables outstanding"},
    "col.purchase_cycle": {"zh": "采购周期（天）", "en": "Purchase cycle (days)"},
    "col.days_since_last_order": {"zh": "距上次采购天数", "en": "Days since last order"},
})

_DIST_TYPES = ("industry_user", "enterprise", "distributor", "retail")
_REGIONS = ("east", "south", "north", "central", "west")


def _check(n: int, name: str, minimum: int = 10) -> int:
    if int(n) != n or n < minimum:
        raise ParameterError(f"{name}={n!r} must be a whole number >= {minimum}.")
    return int(n)


def simulate_bank(n_customers: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The bank case: current-value and potential-value indicators per customer.

    Two latent standard-normal factors, ``latent_current`` and ``latent_potential``
    (correlation 0.3), drive the indicators:

    * ``consumption_value`` (yuan/year, card and account spending) = ``exp(8.5 + 0.9·c + ε)``,
      ``ε ~ N(0, 0.35²)``;
    * ``revenue_contribution`` (fees + interest margin, yuan/year) = ``0.04 ·
      consumption_value · exp(0.3·c + N(0, 0.3²))``;
    * ``cost`` (cost to serve, yuan/year) = ``60 + 80·exp(N(0, 0.5²) − 0.2·c)``: better
      customers use cheaper channels (a negative indicator);
    * ``credit`` (score 300–850) = ``clip(650 + 60·p + N(0, 35²))``;
    * loyalty, three indicators: ``switching_cost`` (1–5 index) = round(clip(3 + 0.9·p +
      N(0, 0.7²))); ``continuity`` (share of the last 24 months with a transaction) =
      Beta with mean ``logistic(0.5 + 0.8·p)``; ``tenure`` (years) = Gamma(2, 2.5·exp(0.3·p));
    * ``future_profit`` (expected yuan/year over the next three years) = ``exp(5.5 + 0.5·c +
      0.7·p + N(0, 0.4²))``.

    So a good current-value score should rank-correlate with ``latent_current``, and a good
    potential-value score with ``latent_potential``.

    Returns
    -------
    DataFrame indexed by ``customer_id`` ("B00001"...).
    """
    n = _check(n_customers, "n_customers")
    rng = np.random.default_rng(seed)
    cov = [[1.0, 0.3], [0.3, 1.0]]
    lat = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    c, p = lat[:, 0], lat[:, 1]
    consumption = np.exp(8.5 + 0.9 * c + rng.normal(0, 0.35, n))
    revenue = 0.04 * consumption * np.exp(0.3 * c + rng.normal(0, 0.3, n))
    cost = 60 + 80 * np.exp(rng.normal(0, 0.5, n) - 0.2 * c)
    credit = np.clip(650 + 60 * p + rng.normal(0, 35, n), 300, 850).round()
    switching = np.clip(np.round(3 + 0.9 * p + rng.normal(0, 0.7, n)), 1, 5)
    mu = 1 / (1 + np.exp(-(0.5 + 0.8 * p)))
    continuity = rng.beta(mu * 8, (1 - mu) * 8)
    tenure = rng.gamma(2.0, 2.5 * np.exp(0.3 * p))
    future = np.exp(5.5 + 0.5 * c + 0.7 * p + rng.normal(0, 0.4, n))
    idx = pd.Index([f"B{i:05d}" for i in range(1, n + 1)], name="customer_id")
    return pd.DataFrame({
        "consumption_value": consumption.round(2),
        "revenue_contribution": revenue.round(2),
        "cost": cost.round(2),
        "credit": credit,
        "switching_cost": switching,
        "continuity": continuity.round(4),
        "tenure": tenure.round(2),
        "future_profit": future.round(2),
        "latent_current": c,
        "latent_potential": p,
    }, index=idx)


def simulate_distributor(n_customers: int = 300, seed: int = 0) -> pd.DataFrame:
    """Case 3-1: an electronics distributor's customers.

    * ``customer_type``: industry_user / enterprise / distributor / retail with probabilities
      0.15 / 0.30 / 0.20 / 0.35; ``region``: east / south / north / central / west with
      probabilities 0.30 / 0.25 / 0.20 / 0.15 / 0.10.
    * ``sales_value`` (yuan/year) = ``exp(μ_type + N(0, 0.8²))`` with μ = 13.0 (industry user),
      12.3 (enterprise), 12.8 (distributor), 10.8 (retail): a few large accounts dominate.
    * ``sales_volume`` (units) = sales value / unit price, the price lognormal around 900 yuan
      (higher for industry users, lower for distributors buying in bulk).
    * ``receivables`` (outstanding, yuan) = sales value · Beta(1.2, 6) for the 70% of customers
      who buy on credit, 0 otherwise (a negative criterion).
    * ``purchase_cycle`` (days between orders) = Gamma(2, 15 · (sales value / median)^−0.3):
      bigger customers order more often (smaller is better).
    * ``days_since_last_order`` = Exponential with mean 0.8·cycle, or 120–365 days for the 10%
      of customers who have lapsed (the "lost key customers" to win back).

    Returns
    -------
    DataFrame indexed by ``customer_id`` ("D0001"...).
    """
    n = _check(n_customers, "n_customers")
    rng = np.random.default_rng(seed)
    ctype = rng.choice(_DIST_TYPES, size=n, p=[0.15, 0.30, 0.20, 0.35])
    region = rng.choice(_REGIONS, size=n, p=[0.30, 0.25, 0.20, 0.15, 0.10])
    mu = pd.Series({"industry_user": 13.0, "enterprise": 12.3, "distributor": 12.8,
                    "retail": 10.8})[ctype].to_numpy()
    sales = np.exp(mu + rng.normal(0, 0.8, n))
    price_mu = pd.Series({"industry_user": 7.2, "enterprise": 6.8, "distributor": 6.4,
                          "retail": 6.8})[ctype].to_numpy()
    price = np.exp(price_mu + rng.normal(0, 0.25, n))
    volume = np.maximum(1, np.round(sales / price))
    credit = rng.random(n) < 0.7
    receivables = np.where(credit, sales * rng.beta(1.2, 6, n), 0.0)
    cycle = rng.gamma(2.0, 15 * (sales / np.median(sales)) ** -0.3)
    lapsed = rng.random(n) < 0.10
    last = np.where(lapsed, rng.uniform(120, 365, n), rng.exponential(0.8 * cycle))
    idx = pd.Index([f"D{i:04d}" for i in range(1, n + 1)], name="customer_id")
    return pd.DataFrame({
        "customer_type": pd.Categorical(ctype, categories=_DIST_TYPES),
        "region": pd.Categorical(region, categories=_REGIONS),
        "sales_value": sales.round(2),
        "sales_volume": volume.astype("int64"),
        "receivables": receivables.round(2),
        "purchase_cycle": cycle.round(1),
        "days_since_last_order": last.round().astype("int64"),
    }, index=idx)


SURVEY_CONSTRUCTS = {
    "product_value": 3, "service_value": 3, "personnel_value": 3, "image_value": 3,
    "monetary_cost": 3, "time_cost": 3, "energy_cost": 3, "satisfaction": 3, "loyalty": 3,
}
"""Items per construct in :func:`simulate_survey` (columns ``<construct>_1`` ...)."""


def simulate_survey(n_respondents: int = 400, seed: int = 0) -> pd.DataFrame:
    """A perceived-value questionnaire on 1–5 Likert items (the Huawei-case design).

    Latent constructs (standard-normal scale):

    * value components ``product_value``, ``service_value``, ``personnel_value``,
      ``image_value``: a common factor V (loading 0.6) plus specific parts;
    * cost components ``monetary_cost``, ``time_cost``, ``energy_cost``: a common factor C
      (loading 0.6) plus specific parts, independent of V;
    * perceived value ``PV = (mean of value components − mean of cost components)`` scaled to
      unit variance;
    * ``satisfaction = 0.7·PV + N(0, 0.7²)`` (standardised);
    * ``loyalty = 0.5·satisfaction + 0.3·PV + N(0, 0.7²)`` (standardised).

    Each construct has three items: ``item = round(clip(3 + 0.9·latent + N(0, 0.6²), 1, 5))``.
    So loyalty really depends on satisfaction and on perceived value, and the items of each
    construct hang together (Cronbach's α about 0.8).

    Returns
    -------
    DataFrame indexed by ``respondent_id`` with integer item columns ``<construct>_<k>``;
    ``.attrs["constructs"]`` maps each construct to its item columns.
    """
    n = _check(n_respondents, "n_respondents")
    rng = np.random.default_rng(seed)

    def std(x):
        return (x - x.mean()) / x.std()

    v_common = rng.normal(size=n)
    c_common = rng.normal(size=n)
    lat = {}
    for k in ("product_value", "service_value", "personnel_value", "image_value"):
        lat[k] = 0.6 * v_common + 0.8 * rng.normal(size=n)
    for k in ("monetary_cost", "time_cost", "energy_cost"):
        lat[k] = 0.6 * c_common + 0.8 * rng.normal(size=n)
    value = np.mean([lat[k] for k in ("product_value", "service_value", "personnel_value",
                                      "image_value")], axis=0)
    cost = np.mean([lat[k] for k in ("monetary_cost", "time_cost", "energy_cost")], axis=0)
    pv = std(value - cost)
    lat["satisfaction"] = std(0.7 * pv + rng.normal(0, 0.7, n))
    lat["loyalty"] = std(0.5 * lat["satisfaction"] + 0.3 * pv + rng.normal(0, 0.7, n))
    cols, constructs = {}, {}
    for k, n_items in SURVEY_CONSTRUCTS.items():
        names = []
        for j in range(1, n_items + 1):
            name = f"{k}_{j}"
            item = np.clip(np.round(3 + 0.9 * lat[k] + rng.normal(0, 0.6, n)), 1, 5)
            cols[name] = item.astype("int64")
            names.append(name)
        constructs[k] = names
    idx = pd.Index([f"R{i:04d}" for i in range(1, n + 1)], name="respondent_id")
    out = pd.DataFrame(cols, index=idx)
    out.attrs["constructs"] = constructs
    return out
