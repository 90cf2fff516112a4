"""The loyalty ladder: :func:`loyalty_ladder` (stage per customer) and
:func:`ladder_transitions`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import ParameterError
from ._common import _values

i18n.register({
    "col.stage": {"zh": "阶段", "en": "Stage"},
    "value.ladder": {"zh": "客户忠诚度阶梯", "en": "Loyalty ladder"},
    "stage.prospect": {"zh": "潜在客户", "en": "Prospect"},
    "stage.first_time": {"zh": "首次购买客户", "en": "First-time buyer"},
    "stage.repeat": {"zh": "重复购买客户", "en": "Repeat buyer"},
    "stage.loyal": {"zh": "忠诚客户", "en": "Loyal customer"},
    "stage.advocate": {"zh": "品牌拥护者", "en": "Advocate"},
})


LADDER = ("prospect", "first_time", "repeat", "loyal", "advocate")


def loyalty_ladder(n_purchases, *, loyal_at: int = 4, referrals=None) -> pd.Series:
    """Loyalty-ladder stage per customer from purchase counts (and referrals, if known).

    ``0`` purchases → prospect, ``1`` → first-time, ``2 .. loyal_at−1`` → repeat, ``≥ loyal_at``
    → loyal; a loyal customer with at least one referral is an advocate.
    Returns an ordered categorical with keys ``stage.<name>``.
    """
    n = _values(n_purchases, "n_purchases")
    if loyal_at < 3:
        raise ParameterError("loyal_at must be at least 3 (two purchases are 'repeat').")
    idx = np.select([n.to_numpy() <= 0, n.to_numpy() < 2, n.to_numpy() < loyal_at],
                    [0, 1, 2], default=3)
    if referrals is not None:
        ref = _values(referrals, "referrals").reindex(n.index).fillna(0.0).to_numpy()
        idx = np.where((idx == 3) & (ref > 0), 4, idx)
    cats = [f"stage.{s}" for s in LADDER]
    return pd.Series(pd.Categorical.from_codes(idx, categories=cats, ordered=True),
                     index=n.index, name="stage")


def ladder_transitions(before: pd.Series, after: pd.Series) -> pd.DataFrame:
    """Row-normalised transition shares between two ladder snapshots of the same customers."""
    after = after.reindex(before.index)
    return pd.crosstab(before, after, normalize="index", dropna=False)
