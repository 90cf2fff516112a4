"""Words that follow the data: facts of a run and the text catalogue they fill.

Every sentence of a chapter or of the thesis frame that states a fact about the data or a
parameter is a template of ``crmlab/report/text.yml`` (zh and en, one source, *named*
placeholders) filled from the run. This module loads that catalogue into :mod:`crmlab.i18n`,
computes the facts of a transaction log (:func:`data_facts`), names a data set and an RFM rule
set in prose, and renders a template for both languages (:func:`render`). It never prints;
:func:`crmlab.notebook.say` displays the result in a notebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path

from . import i18n
from .errors import ParameterError

TEXT_FILE = Path(__file__).parent / "report" / "text.yml"

#: Built-in data sets and how the prose names them.
DATASET_NAMES = {
    "cdnow": {"zh": "CDNOW 在线音像零售交易数据", "en": "the CDNOW online music retail log"},
    "cdnow-sample": {"zh": "CDNOW 交易数据（1/10 样本）", "en": "the CDNOW log (1/10 sample)"},
    "simulated-retail": {"zh": "模拟零售交易数据", "en": "a simulated retail log"},
}


@cache
def load_text() -> dict[str, dict[str, str]]:
    """Register the thesis text catalogue (``crmlab/report/text.yml``) and return it."""
    import yaml

    raw = yaml.safe_load(TEXT_FILE.read_text(encoding="utf-8")) or {}
    entries = {str(k): {lang: str(v[lang]) for lang in i18n.LANGS} for k, v in raw.items()}
    i18n.register(entries)
    return entries


def _localised(value, lang: str):
    """``{"zh": .., "en": ..}`` → the text in ``lang``; anything else unchanged."""
    if isinstance(value, Mapping) and set(value) >= set(i18n.LANGS):
        return value[lang]
    return value


def _escaped(value):
    import html

    return html.escape(value, quote=False) if isinstance(value, str) else value


def render(key: str, lang: str, **values) -> str:
    """The catalogue template ``key`` in ``lang``, filled with named ``values``.

    A value may be ``{"zh": ..., "en": ...}`` (a name that differs by language). A missing
    placeholder raises a ParameterError naming the key and the placeholder.
    """
    load_text()
    if not i18n.has(key):
        raise ParameterError(f"text key {key!r} is not in {TEXT_FILE.name}; add it there "
                             "(zh and en).")
    # values come from the data (file names, column values): the report renders narrative as
    # markdown with raw HTML allowed, so text values are escaped; numbers are left to the template
    filled = {k: _escaped(_localised(v, lang)) for k, v in values.items()}
    try:
        return i18n.t(key, lang, **filled)
    except KeyError as exc:
        raise ParameterError(f"text {key!r} needs the value {exc.args[0]!r}; pass "
                             f"{exc.args[0]}=... to say().") from None


def render_all(key: str, **values) -> dict[str, str]:
    """:func:`render` in every language."""
    return {lang: render(key, lang, **values) for lang in i18n.LANGS}


def dataset_name(meta: Mapping, profile_name: str | None = None) -> dict[str, str]:
    """How the prose names a data set: the profile's name for it, the built-in's name, or
    the file name of the user's log."""
    if profile_name:
        return {lang: profile_name for lang in i18n.LANGS}
    key = str(meta.get("name") or meta.get("dataset") or "")
    if key in DATASET_NAMES:
        return dict(DATASET_NAMES[key])
    if key.startswith("benchmark-"):
        return {lang: key[len("benchmark-"):] for lang in i18n.LANGS}
    return {lang: key or "?" for lang in i18n.LANGS}


def is_cdnow(meta: Mapping) -> bool:
    return str(meta.get("name") or "") in ("cdnow", "cdnow-sample")


def _date(value) -> str:
    import pandas as pd

    return pd.Timestamp(value).strftime("%Y-%m-%d")


def data_facts(tx, *, time_unit: str = "W") -> dict:
    """Facts about a loaded log (:func:`crmlab.datasets.load`): JSON-ready, for prose.

    Keys: ``dataset`` (zh/en name), ``is_cdnow``, ``customers``, ``orders`` (transactions kept),
    ``first_date``, ``last_date``, ``calibration_end``, ``observation_end``,
    ``calibration_periods`` and ``holdout_periods`` (in ``time_unit``), ``time_unit`` (zh/en
    name), ``unit`` (its code), ``currency``, ``simulated``.
    """
    from .units import DAYS_PER_UNIT, UNIT_NAMES, check_unit

    unit = check_unit(time_unit)
    meta = dict(getattr(tx, "meta", {}) or {})
    frame = tx.frame
    first, last = frame["date"].min(), frame["date"].max()
    cal, obs = meta.get("calibration_end"), meta.get("observation_end")
    out = {
        "dataset": dataset_name(meta),
        "is_cdnow": is_cdnow(meta),
        "simulated": str(meta.get("name")) == "simulated-retail",
        "customers": int(frame["customer_id"].nunique()),
        "orders": int(len(frame)),
        "first_date": _date(first),
        "last_date": _date(last),
        "unit": unit,
        "time_unit": dict(UNIT_NAMES[unit]),
        "currency": str(meta.get("currency") or "—"),
    }
    if cal is not None and obs is not None:
        days = DAYS_PER_UNIT[unit]
        start = first.normalize()
        out.update(calibration_end=_date(cal), observation_end=_date(obs),
                   calibration_periods=round((cal - start).days / days),
                   holdout_periods=round((obs - cal).days / days))
    return out


def _rule_set(rules, bins: int):
    from .rfm import load_rules, rules_for_bins

    if isinstance(rules, str) and rules == "auto":
        rules = rules_for_bins(bins)
    return load_rules(rules)


def rule_count(rules, bins: int = 5) -> int:
    """Number of segments of an RFM rule set (``"auto"`` resolved for ``bins`` points)."""
    return len(_rule_set(rules, bins).segments)


def rule_set_name(rules, bins: int = 5) -> dict[str, str]:
    """How the prose names an RFM rule set (``classic10``, ``quartile5``, ``cn8``, ``auto``
    for ``bins``-point scores, or a file), with its number of segments taken from the rules."""
    rs = _rule_set(rules, bins)
    key = f"rfm.rules.{rs.name}"
    return render_all(key if _has_text(key) else "rfm.rules.custom", n=len(rs.segments),
                      name=rs.name)


def _has_text(key: str) -> bool:
    load_text()
    return i18n.has(key)


def percent(value: float) -> str:
    """A share as a percentage with at most one decimal: 0.01 → "1%", 0.1594 → "15.9%"."""
    if value is None or value != value:
        return ""
    text = f"{100 * float(value):.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text}%"
