"""A seeded simulated campaign experiment with known treatment effects.

:func:`simulate_campaign` draws customers with RFM-like covariates, a CLV-like score and
P(alive), randomises them into treatment (the campaign) and control, and draws the outcomes
from known models, so every estimate in :mod:`crmlab.strategy` can be checked against the truth.

Data-generating process (z = standardised covariate)
----------------------------------------------------
* ``recency`` (days since last purchase) ~ Exponential(mean 90); ``frequency`` (past
  purchases) ~ 1 + Poisson(3); ``monetary_value`` (mean spend) ~ Gamma(shape 4, mean 50);
  ``tenure`` (days) = recency + Gamma; ``age`` ~ Uniform(20, 65).
* ``p_alive`` = logistic(1.5 − 1.2 z_recency + 0.6 z_frequency); ``clv`` = p_alive ×
  frequency × monetary_value × 0.5 (a CLV-like score, in currency units).
* ``treatment`` ~ Bernoulli(``treat_share``), independent of everything (a randomised test).
* Response if not contacted: ``p_control`` = logistic(base − 0.8 z_recency + 0.5 z_frequency).
* True uplift on response (heterogeneous, with "sleeping dogs" who react badly)::

      true_uplift = effect · (−0.5 + 3 · logistic(2 (z_frequency − z_recency)))
                    − 2 · effect · [z_monetary > 0.8]

  (big spenders, about a fifth of customers, are "sleeping dogs": the offer puts them off,
  so targeting on value alone wastes part of the budget), then clipped so that ``p_treated = p_control + true_uplift`` stays in [0.001, 0.999].
* ``response`` ~ Bernoulli(p_control or p_treated); ``spend`` = response × Gamma(shape 2,
  mean monetary_value), so ``true_spend_uplift`` = true_uplift × monetary_value.
* ``retained`` ~ Bernoulli(r0 + T·retention_effect), r0 = 0.4 + 0.5 p_alive, clipped.
* ``clv_post`` = clv · (0.2 + 0.8 retained) + spend: value after the campaign; its expected
  treatment effect per customer is ``true_clv_effect`` = 0.8 clv Δr + true_spend_uplift.

Every ``true_*`` column is the expected effect for that customer, so the sample-average truth
is their mean; ``frame.attrs["truth"]`` holds those means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ParameterError


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def _z(x):
    return (x - x.mean()) / x.std()


def simulate_campaign(
    n_customers: int = 10_000,
    *,
    seed: int = 0,
    treat_share: float = 0.5,
    base_logit: float = -2.0,
    effect: float = 0.04,
    retention_effect: float = 0.05,
) -> pd.DataFrame:
    """A randomised campaign test with known heterogeneous uplift (see the module docstring).

    Parameters
    ----------
    n_customers : int
    seed : int
    treat_share : float
        Probability of being in the treatment group.
    base_logit : float
        Logit of the control response rate for an average customer (−2 ≈ 12%).
    effect : float
        Scale of the uplift on response (average uplift ≈ 0.7 × effect).
    retention_effect : float
        Effect of the campaign on the retention probability (percentage points / 100).

    Returns
    -------
    DataFrame with ``customer_id``, covariates (``recency``, ``frequency``,
    ``monetary_value``, ``tenure``, ``age``), ``p_alive``, ``clv``, ``treatment``,
    ``p_control``, ``p_treated``, ``true_uplift``, ``response``, ``spend``,
    ``true_spend_uplift``, ``retained``, ``true_retention_effect``, ``clv_post`` and
    ``true_clv_effect``.
    """
    if isinstance(n_customers, bool) or int(n_customers) != n_customers or n_customers < 10:
        raise ParameterError(f"n_customers={n_customers!r} must be an integer >= 10.")
    if not 0 < treat_share < 1:
        raise ParameterError(f"treat_share={treat_share!r} must lie strictly between 0 and 1.")
    n = int(n_customers)
    rng = np.random.default_rng(seed)
    recency = rng.exponential(90.0, n)
    frequency = 1 + rng.poisson(3.0, n)
    monetary = rng.gamma(4.0, 50.0 / 4.0, n)
    tenure = recency + rng.gamma(2.0, 200.0, n)
    age = rng.uniform(20, 65, n)
    zr, zf, zm = _z(recency), _z(frequency.astype(float)), _z(monetary)
    p_alive = _logistic(1.5 - 1.2 * zr + 0.6 * zf)
    clv = p_alive * frequency * monetary * 0.5
    t = (rng.random(n) < treat_share).astype(np.int8)
    p0 = _logistic(base_logit - 0.8 * zr + 0.5 * zf)
    tau = effect * (-0.5 + 3.0 * _logistic(2 * (zf - zr))) - 2.0 * effect * (zm > 0.8)
    p1 = np.clip(p0 + tau, 0.001, 0.999)
    tau = p1 - p0
    response = (rng.random(n) < np.where(t == 1, p1, p0)).astype(np.int8)
    spend = response * rng.gamma(2.0, monetary / 2.0)
    r0 = np.clip(0.4 + 0.5 * p_alive, 0, 1)
    r1 = np.clip(r0 + retention_effect, 0, 1)
    retained = (rng.random(n) < np.where(t == 1, r1, r0)).astype(np.int8)
    clv_post = clv * (0.2 + 0.8 * retained) + spend
    frame = pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(n)],
        "recency": recency,
        "frequency": frequency,
        "monetary_value": monetary,
        "tenure": tenure,
        "age": age,
        "p_alive": p_alive,
        "clv": clv,
        "treatment": t,
        "p_control": p0,
        "p_treated": p1,
        "true_uplift": tau,
        "response": response,
        "spend": spend,
        "true_spend_uplift": tau * monetary,
        "retained": retained,
        "true_retention_effect": r1 - r0,
        "clv_post": clv_post,
        "true_clv_effect": 0.8 * clv * (r1 - r0) + tau * monetary,
    })
    frame.attrs["truth"] = {
        "response": float(tau.mean()),
        "spend": float((tau * monetary).mean()),
        "retained": float((r1 - r0).mean()),
        "clv_post": float(frame["true_clv_effect"].mean()),
    }
    frame.attrs["seed"] = seed
    return frame
