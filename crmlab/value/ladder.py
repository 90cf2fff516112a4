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


i18n.register({
    "stage.suspect": {"zh": "潜在对象", "en": "Suspect"},
    "col.stage_calibration": {"zh": "校准期末台阶", "en": "Rung at end of calibration"},
    "col.stage_observation": {"zh": "观察期末台阶", "en": "Rung at end of observation"},
    "col.n_calibration": {"zh": "校准期末客户数", "en": "Customers at end of calibration"},
    "col.share_calibration": {"zh": "校准期末占比", "en": "Share at end of calibration"},
    "col.n_observation": {"zh": "观察期末客户数", "en": "Customers at end of observation"},
    "col.share_observation": {"zh": "观察期末占比", "en": "Share at end of observation"},
    "col.observable": {"zh": "交易日志可观察", "en": "Seen in a transaction log"},
    "col.ladder_strategy": {"zh": "策略", "en": "Strategy"},
    "ladder.strategy.suspect": {
        "zh": "市场调查与广告触达，识别目标人群（需交易日志以外的数据）",
        "en": "Market research and advertising to find the target group (needs data beyond the log)"},
    "ladder.strategy.prospect": {
        "zh": "线索培育与首单优惠，促成第一次购买（需线索数据）",
        "en": "Lead nurturing and a first-order offer to win the first purchase (needs lead data)"},
    "ladder.strategy.first_time": {
        "zh": "首单后的欢迎与回访，二次购买激励，降低早期流失",
        "en": "Welcome and follow-up after the first order, a second-purchase incentive, fewer early dropouts"},
    "ladder.strategy.repeat": {
        "zh": "会员积分与交叉销售，提高购买频率，推向忠诚",
        "en": "Points and cross-selling to raise frequency and move them towards loyalty"},
    "ladder.strategy.loyal": {
        "zh": "VIP 权益与专属服务，保持关系；邀请参与推荐计划",
        "en": "VIP benefits and dedicated service to keep them; invite them to a referral programme"},
    "ladder.strategy.advocate": {
        "zh": "推荐奖励与社群活动，放大口碑",
        "en": "Referral rewards and community events to spread word of mouth"},
})

#: The rungs a transaction log cannot observe (nobody on them has bought yet).
UNOBSERVABLE = ("suspect", "prospect")


def purchases_between(frame: pd.DataFrame, start=None, end=None,
                      column: str | None = None) -> pd.Series:
    """Transactions per customer (or the sum of ``column``) after ``start`` and up to ``end``.

    A bound given as a day covers that whole day; ``None`` leaves the side open. Customers
    without a transaction in the window are absent.
    """
    def day_end(value):
        t = pd.Timestamp(value)
        return t + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1) if t == t.normalize() else t

    keep = np.ones(len(frame), dtype=bool)
    if start is not None:
        keep &= (frame["date"] > day_end(start)).to_numpy()
    if end is not None:
        keep &= (frame["date"] <= day_end(end)).to_numpy()
    window = frame.loc[keep].groupby("customer_id")
    return window.size() if column is None else window[column].sum()


def ladder_snapshots(frame: pd.DataFrame, calibration_end, observation_end, *,
                     loyal_at: int = 4, referral_col: str | None = None) -> pd.DataFrame:
    """Each customer's rung at the end of calibration and at the end of observation.

    Parameters
    ----------
    frame : DataFrame
        Transactions with ``customer_id`` and ``date`` (one row per purchase), e.g.
        ``Transactions.frame``.
    calibration_end, observation_end : date-like
        The two snapshot dates (inclusive).
    loyal_at : int
        Purchases from which a customer is loyal (see :func:`loyalty_ladder`).
    referral_col : str, optional
        A column counting referrals per transaction; a loyal customer with a referral is an
        advocate. Without it advocates cannot be told apart from loyal customers.

    Returns
    -------
    DataFrame indexed by the customers who had bought by ``calibration_end``, with
    ``stage_calibration`` and ``stage_observation`` (ordered categoricals ``stage.<rung>``).
    """
    if referral_col is not None and referral_col not in frame.columns:
        raise ParameterError(f"referral_col={referral_col!r} is not a column of the log "
                             f"({', '.join(map(str, frame.columns))}); pass referral_col=None.")
    cal = purchases_between(frame, end=calibration_end)
    obs = purchases_between(frame, end=observation_end).reindex(cal.index).fillna(0)
    ref_cal = ref_obs = None
    if referral_col is not None:
        ref_cal = purchases_between(frame, end=calibration_end, column=referral_col).reindex(cal.index)
        ref_obs = purchases_between(frame, end=observation_end, column=referral_col).reindex(cal.index)
    return pd.DataFrame({
        "stage_calibration": loyalty_ladder(cal, loyal_at=loyal_at, referrals=ref_cal),
        "stage_observation": loyalty_ladder(obs, loyal_at=loyal_at, referrals=ref_obs),
    })


def ladder_counts(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Customers and shares on each observable rung at both snapshot dates."""
    stages = [f"stage.{s}" for s in LADDER if s not in UNOBSERVABLE]
    out = pd.DataFrame(index=pd.Index(stages, name="stage"))
    for when, col in (("calibration", "stage_calibration"), ("observation", "stage_observation")):
        n = snapshots[col].value_counts().reindex(stages, fill_value=0)
        out[f"n_{when}"] = n.astype(int)
        out[f"share_{when}"] = n / max(int(n.sum()), 1)
    return out


def ladder_moves(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Shares moving from each calibration rung (rows) to each observation rung (columns),
    observable rungs only (:func:`ladder_transitions` on the two snapshots)."""
    moves = ladder_transitions(snapshots["stage_calibration"], snapshots["stage_observation"])
    keep = [f"stage.{s}" for s in LADDER if s not in UNOBSERVABLE]
    moves = moves.reindex(index=keep, columns=keep).fillna(0.0)
    have = snapshots["stage_calibration"].value_counts()
    return moves.loc[[s for s in keep if have.get(s, 0) > 0]]


def climb_share(snapshots: pd.DataFrame, start: str = "first_time") -> float:
    """Share of the customers on rung ``start`` at calibration who stand higher at the end."""
    on = snapshots["stage_calibration"] == f"stage.{start}"
    if not on.any():
        return float("nan")
    before = snapshots.loc[on, "stage_calibration"].cat.codes
    after = snapshots.loc[on, "stage_observation"].cat.codes
    return float((after > before).mean())


def ladder_strategies(lang: str = "zh") -> pd.DataFrame:
    """One strategy per rung (suspects to advocates), with whether a log observes the rung."""
    i18n.check_lang(lang)
    rows = [("suspect",) + (False,)] + [(s, s not in UNOBSERVABLE) for s in LADDER]
    return pd.DataFrame({
        "observable": [obs for _, obs in rows],
        "ladder_strategy": [i18n.t(f"ladder.strategy.{s}", lang) for s, _ in rows],
    }, index=pd.Index([f"stage.{s}" for s, _ in rows], name="stage"))
