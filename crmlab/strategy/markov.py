"""Customer migration (Markov chain) models of customer value, after Pfeifer & Carraway (2000).

A customer sits in one of k states each period (typically "bought this period", "last bought 1
period ago", ..., "lost"). ``P[i, j]`` is the probability of moving from state i to state j in
one period and ``R[i]`` the net contribution in state i (margin minus marketing cost). With a
discount rate d per period, the expected present value per starting state is

    V = Σ_{t=0}^{T-1} (P / (1 + d))^t R          (horizon T)
    V = (I − P / (1 + d))^{-1} R                 (infinite horizon)

Rewards are counted at the start of each period (period 0 undiscounted), as in Pfeifer &
Carraway's equation (9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from ..units import check_unit
from ._common import need_columns, need_frame


def _as_matrix(transition) -> tuple[np.ndarray, list | None]:
    labels = None
    if isinstance(transition, pd.DataFrame):
        labels = list(transition.index)
        if list(transition.columns) != labels:
            raise ParameterError(
                "transition: rows and columns must list the same states in the same order; "
                f"rows are {labels}, columns are {list(transition.columns)}."
            )
        transition = transition.to_numpy(dtype=float)
    try:
        P = np.asarray(transition, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("transition must be a square matrix of probabilities.") from None
    if P.ndim != 2 or P.shape[0] != P.shape[1] or P.shape[0] == 0:
        raise ParameterError(f"transition must be a square k×k matrix; got shape {P.shape}.")
    return P, labels


def check_transition(transition, *, atol: float = 1e-8) -> np.ndarray:
    """Validate a transition matrix: square, entries in [0, 1], rows summing to 1."""
    P, labels = _as_matrix(transition)
    names = labels or list(range(P.shape[0]))
    if not np.isfinite(P).all():
        raise ParameterError("transition has missing or infinite entries; every entry must be a probability.")
    bad = np.argwhere((P < -atol) | (P > 1 + atol))
    if len(bad):
        i, j = bad[0]
        raise ParameterError(
            f"transition probabilities must lie in [0, 1]; entry [{names[i]!r}, {names[j]!r}] is "
            f"{P[i, j]:g} ({len(bad)} entr{'y' if len(bad) == 1 else 'ies'} out of range)."
        )
    sums = P.sum(axis=1)
    off = np.flatnonzero(np.abs(sums - 1) > 1e-6)
    if len(off):
        i = off[0]
        raise ParameterError(
            f"each row of the transition matrix must sum to 1; row {names[i]!r} sums to "
            f"{sums[i]:.6g}. Add an absorbing 'lost' state for customers who leave."
        )
    return np.clip(P, 0.0, 1.0)


def markov_clv(transition, reward, discount_rate: float, horizon: int | None = None):
    """Expected discounted value per starting state of a customer migration model.

    Parameters
    ----------
    transition : array-like or DataFrame, shape (k, k)
        One-period transition probabilities; rows sum to 1.
    reward : array-like or Series, shape (k,)
        Net contribution received in each state in a period (margin − cost; may be negative).
    discount_rate : float
        Discount rate per period (the same period as the transitions), > −1; must be > 0 for an
        infinite horizon when customers can stay forever.
    horizon : int or None
        Number of periods counted, including the current one. ``None`` = infinite.

    Returns
    -------
    ndarray, or Series indexed by state when ``transition`` is a DataFrame.
    """
    P = check_transition(transition)
    labels = list(transition.index) if isinstance(transition, pd.DataFrame) else None
    R = np.asarray(reward, dtype=float).ravel()
    if R.shape[0] != P.shape[0]:
        raise ParameterError(
            f"reward has {R.shape[0]} entries but the transition matrix has {P.shape[0]} states."
        )
    if not np.isfinite(R).all():
        raise ParameterError("reward has missing or infinite entries.")
    d = float(discount_rate)
    if d <= -1:
        raise ParameterError(f"discount_rate={discount_rate!r} must be greater than -1.")
    M = P / (1.0 + d)
    if horizon is None:
        if d <= 0:
            raise ParameterError(
                "an infinite horizon needs discount_rate > 0, otherwise the value is unbounded; "
                "pass a positive rate or a finite horizon=."
            )
        V = np.linalg.solve(np.eye(len(R)) - M, R)
    else:
        if isinstance(horizon, bool) or int(horizon) != horizon or horizon < 1:
            raise ParameterError(f"horizon={horizon!r} must be a positive whole number of periods or None.")
        V = np.zeros_like(R)
        term = R.copy()
        for _ in range(int(horizon)):
            V += term
            term = M @ term
    if labels is not None:
        return pd.Series(V, index=pd.Index(labels, name="state"), name="clv")
    return V


def recency_states(
    transactions: pd.DataFrame,
    *,
    period: str = "M",
    n_states: int = 5,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Recency state of every customer in every period, from a transaction log.

    State 0 = bought in the period; state s = last purchase s periods ago; state
    ``n_states − 1`` = ``n_states − 1`` or more periods ago (treated as "lost", absorbing).
    Periods are calendar buckets of ``period`` ('D', 'W' or 'M'). A customer enters at the
    first purchase.

    Returns a long frame: ``customer_id``, ``period`` (period start), ``state``, ``amount``
    (spend in the period, 0 when none or when the log has no amount).
    """
    need_frame(transactions, "transactions")
    need_columns(transactions, ["customer_id", "date"], "transactions")
    period = check_unit(period, "period")
    if n_states < 2:
        raise ParameterError(f"n_states={n_states!r} must be at least 2 (active and lost).")
    freq = {"D": "D", "W": "W", "M": "M"}[period]
    dates = pd.to_datetime(transactions["date"], errors="coerce")
    if dates.isna().any():
        raise DataError("transactions column 'date' has unparseable or missing dates.")
    per = dates.dt.to_period(freq)
    amount = (transactions["amount"].astype(float) if "amount" in transactions
              else pd.Series(0.0, index=transactions.index))
    spend = (pd.DataFrame({"customer_id": transactions["customer_id"].astype(str), "p": per,
                           "amount": amount})
             .groupby(["customer_id", "p"], observed=True)["amount"].sum())
    lo = per.min() if start is None else pd.Period(start, freq)
    hi = per.max() if end is None else pd.Period(end, freq)
    periods = pd.period_range(lo, hi, freq=freq)
    p_index = {p: i for i, p in enumerate(periods)}
    cust = spend.index.get_level_values(0)
    pos = np.array([p_index.get(p, -1) for p in spend.index.get_level_values(1)])
    keep = pos >= 0
    codes, uniques = pd.factorize(cust[keep])
    bought = np.zeros((len(uniques), len(periods)), dtype=bool)
    amt = np.zeros((len(uniques), len(periods)))
    bought[codes, pos[keep]] = True
    amt[codes, pos[keep]] = spend.to_numpy()[keep]
    # periods since the last purchase, carried forward; NaN before the first purchase
    idx = np.where(bought, np.arange(len(periods))[None, :], -1)
    last = np.maximum.accumulate(idx, axis=1)
    since = np.arange(len(periods))[None, :] - last
    state = np.minimum(since, n_states - 1)
    valid = last >= 0
    rows, cols = np.nonzero(valid)
    out = pd.DataFrame({
        "customer_id": uniques[rows],
        "period": periods[cols].to_timestamp(),
        "state": state[rows, cols].astype(int),
        "amount": amt[rows, cols],
    })
    out.attrs.update(period=period, n_states=n_states)
    return out


def estimate_transitions(states: pd.DataFrame, *, n_states: int | None = None) -> pd.DataFrame:
    """Maximum-likelihood transition matrix (row-normalised counts) between consecutive periods.

    ``states`` is a long frame with ``customer_id``, ``period`` and ``state``: the output of
    :func:`recency_states` (integer states 0..k−1), or any per-period state such as an RFM
    segment label (then the states are the sorted distinct labels). Rows never left in the data
    get a self-loop, so the matrix stays stochastic. ``attrs["counts"]`` holds the counts.
    """
    need_columns(states, ["customer_id", "period", "state"], "states")
    s = states.sort_values(["customer_id", "period"], kind="stable")
    raw = s["state"].to_numpy()
    if pd.api.types.is_integer_dtype(s["state"]) and (raw >= 0).all():
        k = int(n_states or states.attrs.get("n_states") or raw.max() + 1)
        codes, labels = raw.astype(int), list(range(k))
    else:
        labels = sorted(pd.unique(raw), key=str)
        codes = pd.Categorical(raw, categories=labels).codes
        k = len(labels)
    same = s["customer_id"].to_numpy()[1:] == s["customer_id"].to_numpy()[:-1]
    a, b = codes[:-1][same], codes[1:][same]
    counts = np.zeros((k, k))
    np.add.at(counts, (a, b), 1.0)
    tot = counts.sum(axis=1, keepdims=True)
    P = np.where(tot > 0, counts / np.where(tot == 0, 1, tot), np.eye(k))
    out = pd.DataFrame(P, index=pd.Index(labels, name="from"), columns=labels)
    out.attrs["counts"] = counts
    return out


def state_rewards(states: pd.DataFrame, *, margin: float = 1.0, cost: float | dict = 0.0) -> pd.Series:
    """Net reward per state: ``margin`` × mean spend in that state − marketing ``cost``.

    ``cost`` may be one number (spent on every non-lost state) or a mapping state → cost.
    """
    need_columns(states, ["state", "amount"], "states")
    k = int(states.attrs.get("n_states") or states["state"].max() + 1)
    mean_spend = states.groupby("state")["amount"].mean().reindex(range(k), fill_value=0.0)
    if isinstance(cost, dict):
        c = pd.Series(cost, dtype=float).reindex(range(k), fill_value=0.0)
    else:
        c = pd.Series(float(cost), index=range(k))
        c.iloc[-1] = 0.0  # nobody spends on lost customers by default
    r = margin * mean_spend - c
    r.index.name = "state"
    return r.rename("reward")


def shift_transition(transition, from_state, to_state, delta: float, *, take_from=None) -> pd.DataFrame:
    """A strategy's effect on migration: move ``delta`` probability into ``from_state → to_state``.

    The mass is taken from ``take_from`` (a state) or, by default, proportionally from the other
    entries of the row. Raises ParameterError if the result leaves [0, 1].
    """
    P, labels = _as_matrix(transition)
    labels = labels or list(range(P.shape[0]))
    P = P.copy()
    try:
        i, j = labels.index(from_state), labels.index(to_state)
    except ValueError:
        raise ParameterError(f"state {from_state!r} or {to_state!r} is not one of {labels}.") from None
    if take_from is None:
        others = [c for c in range(P.shape[1]) if c != j]
        rest = P[i, others].sum()
        if rest <= 0 and delta > 0:
            raise ParameterError(f"row {from_state!r} has no probability left to move.")
        P[i, others] -= delta * P[i, others] / rest if rest > 0 else 0
    else:
        P[i, labels.index(take_from)] -= delta
    P[i, j] += delta
    out = pd.DataFrame(P, index=pd.Index(labels, name="from"), columns=labels)
    check_transition(out)
    return out


def migration_scenario(transition, reward, discount_rate: float, changes: dict, *, horizon=None,
                       weights=None) -> pd.DataFrame:
    """Per-state CLV before and after a strategy that changes transition probabilities.

    ``changes`` maps a scenario name to a list of ``(from_state, to_state, delta)`` shifts (see
    :func:`shift_transition`). ``weights`` (customers per starting state) adds customer equity.
    """
    P, labels = _as_matrix(transition)
    labels = labels or list(range(P.shape[0]))
    base = pd.DataFrame(P, index=labels, columns=labels)
    out = {"baseline": np.asarray(markov_clv(base, reward, discount_rate, horizon))}
    for name, shifts in changes.items():
        Q = base
        for f, to, delta in shifts:
            Q = shift_transition(Q, f, to, delta)
        out[name] = np.asarray(markov_clv(Q, reward, discount_rate, horizon))
    res = pd.DataFrame(out, index=pd.Index(labels, name="state"))
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        res.loc["equity"] = (res.to_numpy() * w[:, None]).sum(axis=0)
    return res
