"""Strategy tables as data, and budget allocation across segments.

A strategy table maps each segment to an objective, actions, a channel and a cost per
customer, in Chinese and English. Three defaults ship with crmlab (``crmlab/strategy/tables``):
``"course_classes"`` (top / high-potential / high-loyalty / low-value), ``"rfm8"`` (the eight
RFM classes, 重要价值客户 …) and ``"pyramid"`` (platinum / gold / iron / lead). Users override
any field, or add segments, with a YAML text or mapping of the same shape::

    segments:
      important_value:
        cost_per_customer: 150
        actions: {zh: [专属客户经理], en: [Dedicated account manager]}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import i18n
from ..errors import DataError, ParameterError
from ._common import need_columns, need_frame, numeric_column

BUILTIN = ("course_classes", "rfm8", "pyramid")
FIELDS = ("label", "objective", "actions", "channel", "cost_per_customer")
RULES = ("value_at_stake", "value", "size", "equal", "priority")

i18n.register({
    "strategy.col.segment": {"zh": "客户群", "en": "Segment"},
    "strategy.col.label": {"zh": "名称", "en": "Name"},
    "strategy.col.objective": {"zh": "目标", "en": "Objective"},
    "strategy.col.actions": {"zh": "策略措施", "en": "Actions"},
    "strategy.col.channel": {"zh": "渠道", "en": "Channel"},
    "strategy.col.cost_per_customer": {"zh": "单客成本", "en": "Cost per customer"},
    "strategy.col.n": {"zh": "客户数", "en": "Customers"},
    "strategy.col.value": {"zh": "客户价值", "en": "Value"},
    "strategy.col.value_at_stake": {"zh": "风险价值", "en": "Value at stake"},
    "strategy.col.full_cost": {"zh": "全覆盖成本", "en": "Full cost"},
    "strategy.col.allocation": {"zh": "分配预算", "en": "Budget allocated"},
    "strategy.col.coverage": {"zh": "覆盖率", "en": "Coverage"},
    "strategy.col.customers_covered": {"zh": "覆盖客户数", "en": "Customers covered"},
})


def _read_yaml_text(text: str, where: str) -> dict:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ParameterError(f"strategy table {where} is not valid YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("segments"), dict):
        raise ParameterError(
            f"strategy table {where} must be a mapping with a 'segments:' mapping of "
            "segment -> {label, objective, actions, channel, cost_per_customer}."
        )
    return data


def _builtin(name: str) -> dict:
    text = resources.files("crmlab.strategy").joinpath("tables", f"{name}.yml").read_text("utf-8")
    return _read_yaml_text(text, f"{name!r}")


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _bilingual(value, seg, field):
    if isinstance(value, dict):
        missing = [lang for lang in i18n.LANGS if lang not in value]
        if missing:
            raise ParameterError(f"strategy table: segment {seg!r} field {field!r} lacks {missing}.")
        return {lang: value[lang] for lang in i18n.LANGS}
    return {lang: value for lang in i18n.LANGS}


@dataclass
class StrategyTable:
    """Segment → strategy, in zh and en. Build with :func:`strategy_table`."""

    name: str
    segments: dict

    def frame(self, lang: str = "zh") -> pd.DataFrame:
        """One row per segment: label, objective, actions (joined by '；'/'; '), channel, cost."""
        i18n.check_lang(lang)
        sep = "；" if lang == "zh" else "; "
        rows = []
        for key, s in self.segments.items():
            acts = s["actions"][lang]
            rows.append({
                "segment": key,
                "label": s["label"][lang],
                "objective": s["objective"][lang],
                "actions": sep.join(acts) if isinstance(acts, list) else str(acts),
                "channel": s["channel"][lang],
                "cost_per_customer": float(s["cost_per_customer"]),
                "priority": s.get("priority", np.nan),
            })
        return pd.DataFrame(rows).set_index("segment")

    def resolve(self, names) -> dict:
        """Map data segment names (keys, zh/en labels or aliases) to table keys.

        Raises DataError naming every segment in the data that the table lacks.
        """
        lookup = {}
        for key, s in self.segments.items():
            for alias in [key, *s["label"].values(), *s.get("aliases", [])]:
                lookup[str(alias).strip().lower()] = key
        out, missing = {}, []
        for n in names:
            k = lookup.get(str(n).strip().lower())
            if k is None:
                missing.append(n)
            else:
                out[n] = k
        if missing:
            raise DataError(
                f"strategy table {self.name!r} has no strategy for segment(s) "
                f"{', '.join(map(repr, missing))} found in the data. Its segments are "
                f"{', '.join(self.segments)}; add the missing ones with a YAML override "
                "(strategy_table(..., overrides=...)) or choose another table."
            )
        return out


def strategy_table(source="course_classes", *, overrides=None) -> StrategyTable:
    """Load a strategy table and apply user overrides.

    Parameters
    ----------
    source : str, Path or mapping
        A built-in name (``"course_classes"``, ``"rfm8"``, ``"pyramid"``), a path to a YAML
        file, or a mapping with a ``segments`` key.
    overrides : str, Path or mapping, optional
        YAML text, a YAML file or a mapping; merged field by field over ``source`` (new
        segments are added; a segment set to ``null`` is removed).
    """
    if isinstance(source, dict):
        data = copy.deepcopy(source)
        if not isinstance(data.get("segments"), dict):
            raise ParameterError("a strategy table mapping needs a 'segments' mapping.")
    elif isinstance(source, str) and source in BUILTIN:
        data = _builtin(source)
    elif isinstance(source, (str, Path)) and Path(source).suffix in (".yml", ".yaml"):
        if not Path(source).exists():
            raise ParameterError(f"strategy table file {str(source)!r} does not exist.")
        data = _read_yaml_text(Path(source).read_text("utf-8"), repr(str(source)))
    else:
        raise ParameterError(
            f"strategy table {source!r} is unknown; use one of {', '.join(BUILTIN)}, a .yml path "
            "or a mapping."
        )
    if overrides is not None:
        if isinstance(overrides, dict):
            over = overrides
        elif isinstance(overrides, Path) or (isinstance(overrides, str) and overrides.endswith((".yml", ".yaml"))
                                             and "\n" not in overrides):
            p = Path(overrides)
            if not p.exists():
                raise ParameterError(f"override file {str(p)!r} does not exist.")
            over = _read_yaml_text(p.read_text("utf-8"), repr(str(p)))
        else:
            over = _read_yaml_text(overrides, "overrides")
        data = _merge(data, over)
    segs = {}
    for key, s in data["segments"].items():
        if s is None:
            continue
        missing = [f for f in FIELDS if f not in s]
        if missing:
            raise ParameterError(
                f"strategy table: segment {key!r} lacks {', '.join(missing)}; every segment needs "
                f"{', '.join(FIELDS)}."
            )
        cost = s["cost_per_customer"]
        if not isinstance(cost, (int, float)) or cost < 0:
            raise ParameterError(f"strategy table: segment {key!r} cost_per_customer={cost!r} must be a number >= 0.")
        segs[str(key)] = {
            **s,
            **{f: _bilingual(s[f], key, f) for f in ("label", "objective", "actions", "channel")},
            "cost_per_customer": float(cost),
        }
    return StrategyTable(name=str(data.get("name", "custom")), segments=segs)


def _waterfill(weights: np.ndarray, caps: np.ndarray, budget: float) -> np.ndarray:
    """Split ``budget`` in proportion to ``weights`` without exceeding ``caps``; what a capped
    segment cannot use goes to the others, again in proportion."""
    alloc = np.zeros_like(caps)
    open_ = (caps > 0) & (weights > 0)
    left = budget
    while left > 1e-9 and open_.any():
        share = left * weights * open_ / weights[open_].sum()
        room = caps - alloc
        take = np.minimum(share, room)
        alloc += take
        left -= take.sum()
        open_ &= (caps - alloc) > 1e-9
    return alloc


def plan(
    segments: pd.DataFrame,
    table: StrategyTable | str = "course_classes",
    budget: float = 0.0,
    *,
    rule: str = "value_at_stake",
    segment: str = "segment",
    value: str | None = None,
    p_alive: str | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Allocate a marketing budget across segments.

    Parameters
    ----------
    segments : DataFrame
        One row per customer with a ``segment`` column; optionally a ``value`` column (e.g.
        CLV) and a ``p_alive`` column.
    table : StrategyTable or str
        The strategy table (a built-in name is loaded with :func:`strategy_table`).
    budget : float
        Total budget, >= 0.
    rule : str
        ``"value_at_stake"`` (default): in proportion to Σ value · (1 − P(alive)) when
        ``p_alive`` is given, otherwise Σ value; ``"value"``: Σ value; ``"size"``: number of
        customers; ``"equal"``; ``"priority"``: fund segments fully in the table's priority order
        (segments of equal priority together, at equal coverage).
        No segment gets more than its full cost (customers × cost per customer); the surplus goes
        to the others.

    Returns
    -------
    DataFrame per segment: label, n, value, value_at_stake, cost_per_customer, full_cost,
    allocation, coverage (allocation / full_cost), customers_covered, objective, actions,
    channel. ``attrs["unspent"]`` is the budget left when every segment is fully funded.
    """
    i18n.check_lang(lang)
    need_frame(segments, "segments")
    if not np.isfinite(budget) or budget < 0:
        raise ParameterError(f"budget={budget!r} must be a number >= 0.")
    if rule not in RULES:
        raise ParameterError(f"rule={rule!r} is unknown; use one of {', '.join(RULES)}.")
    if isinstance(table, str):
        table = strategy_table(table)
    need_columns(segments, [segment], "segments")
    if rule in ("value_at_stake", "value") and value is None:
        raise ParameterError(f"rule={rule!r} needs value= (a customer value column such as CLV).")
    names = pd.unique(segments[segment])
    mapping = table.resolve(names)
    key = segments[segment].map(mapping)
    v = numeric_column(segments, value) if value is not None else np.zeros(len(segments))
    risk = 1 - numeric_column(segments, p_alive) if p_alive is not None else np.ones(len(segments))
    g = pd.DataFrame({"key": key.to_numpy(), "v": v, "stake": v * risk}).groupby("key", sort=False)
    agg = pd.DataFrame({"n": g.size(), "value": g["v"].sum(), "value_at_stake": g["stake"].sum()})
    # segments in the table's order, not in order of first appearance in the data: the plan
    # does not depend on the row order
    agg = agg.loc[[k for k in table.segments if k in agg.index]]
    info = table.frame(lang).loc[agg.index]
    agg["cost_per_customer"] = info["cost_per_customer"]
    agg["full_cost"] = agg["n"] * agg["cost_per_customer"]
    caps = agg["full_cost"].to_numpy(dtype=float)
    if rule == "priority":
        pr = info["priority"].astype(float).fillna(np.inf).to_numpy()
        alloc = np.zeros_like(caps)
        left = budget
        # segments of equal priority are one unit: funded together, at equal coverage
        for level in np.unique(pr):
            tied = pr == level
            need = caps[tied].sum()
            alloc[tied] = caps[tied] if need <= left else caps[tied] * (left / need)
            left -= alloc[tied].sum()
    else:
        w = {"value_at_stake": agg["value_at_stake"], "value": agg["value"],
             "size": agg["n"].astype(float), "equal": pd.Series(1.0, index=agg.index)}[rule]
        w = np.clip(w.to_numpy(dtype=float), 0, None)
        if w.sum() <= 0:
            w = np.ones_like(w)
        alloc = _waterfill(w, caps, budget)
    agg["allocation"] = alloc
    with np.errstate(divide="ignore", invalid="ignore"):
        agg["coverage"] = np.where(caps > 0, alloc / caps, 1.0)
        cpc = agg["cost_per_customer"].to_numpy()
        agg["customers_covered"] = np.where(cpc > 0, np.floor(alloc / np.where(cpc > 0, cpc, 1) + 1e-9),
                                            agg["n"].to_numpy())
    out = info[["label"]].join(agg).join(info[["objective", "actions", "channel"]])
    out.index.name = "segment"
    out.attrs.update(rule=rule, budget=float(budget), unspent=float(budget - alloc.sum()),
                     table=table.name)
    return out.sort_values("allocation", ascending=False, kind="stable")


def localise_columns(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A :func:`plan` or :meth:`StrategyTable.frame` result ready for display in ``lang``.

    The segments are shown by their ``label`` (in the language the frame was made in) instead
    of their keys, so the name appears once; the columns are renamed to ``lang``.
    """
    if "label" in frame.columns:
        frame = frame.set_index("label")
    return frame.rename(columns=lambda c: i18n.t(f"strategy.col.{c}", lang)
                        if i18n.has(f"strategy.col.{c}") else c).rename_axis(
        i18n.t("strategy.col.segment", lang))
