"""Time units carried with the data.

A customer summary stores its unit in ``frame.attrs`` (see :func:`crmlab.summarise`), and every
model, prediction and CLV computation reads it from there. No function assumes a unit.

Units
-----
``"D"`` days, ``"W"`` weeks (7 days), ``"M"`` months. When durations are measured from daily
timestamps in a coarser unit, they are fractional: weeks are ``days / 7`` and months are
``days / (365.25 / 12)`` (the mean Gregorian month, 30.4375 days), so twelve months make one
mean year and no month is "30 days".
"""

from __future__ import annotations

import re

import pandas as pd

from .errors import ModelError, ParameterError

UNITS = ("D", "W", "M")
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}
UNIT_NAMES = {
    "D": {"zh": "天", "en": "day"},
    "W": {"zh": "周", "en": "week"},
    "M": {"zh": "月", "en": "month"},
    "Y": {"zh": "年", "en": "year"},
}
# a duration parameter may also be quoted in years (365.25 days)
DURATION_DAYS = dict(DAYS_PER_UNIT, Y=365.25)
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([DWMY])\s*$", re.IGNORECASE)


def check_unit(unit: str, name: str = "time_unit") -> str:
    """Return ``unit`` normalised to upper case, or raise ParameterError naming the choices."""
    u = str(unit).upper()
    if u not in UNITS:
        raise ParameterError(f"{name}={unit!r} is not a time unit; use one of 'D', 'W' or 'M'.")
    return u


def days_to_units(days, unit: str):
    """Convert a number (or array/Series) of days into ``unit`` (fractional)."""
    return days / DAYS_PER_UNIT[check_unit(unit)]


def time_unit_of(frame: pd.DataFrame, *, default: str | None = None) -> str:
    """The time unit stored on a summary frame (``frame.attrs["time_unit"]``).

    Raises ModelError if the frame carries no unit and no ``default`` is given: a model must
    never guess whether recency and T are in days, weeks or months.
    """
    unit = frame.attrs.get("time_unit", default) if hasattr(frame, "attrs") else default
    if unit is None:
        raise ModelError(
            "the summary carries no time unit (frame.attrs['time_unit']). Build it with "
            "crmlab.summarise(..., time_unit='W'), or set summary.attrs['time_unit'] = 'W' "
            "(or 'D'/'M') to say in which unit recency and T are measured."
        )
    return check_unit(unit)


def rate_per_period(rate: float, *, per: str, unit: str) -> float:
    """Convert a discount rate quoted per ``per`` into the equivalent rate per ``unit``.

    Compounding is exact: ``(1 + rate) ** (days(unit) / days(per)) - 1``. Use ``per="Y"`` for an
    annual rate (365.25 days).
    """
    days = dict(DAYS_PER_UNIT, Y=365.25)
    per_u = str(per).upper()
    if per_u not in days:
        raise ParameterError(f"per={per!r} is not a period; use 'D', 'W', 'M' or 'Y'.")
    if rate <= -1:
        raise ParameterError(f"discount rate {rate!r} must be greater than -1.")
    return (1.0 + rate) ** (days[check_unit(unit)] / days[per_u]) - 1.0


def parse_duration(value, name: str = "horizon") -> tuple[float, str]:
    """A duration written with its unit, ``"52W"``, ``"12M"``, ``"1Y"`` or ``"90D"``, as
    ``(amount, unit)``.

    A bare number is refused: ``horizon=52`` means 52 weeks for a weekly summary and 52 months
    for a monthly one, so the unit must be written (ParameterError naming the fix).
    """
    m = _DURATION.match(str(value))
    if not m or float(m.group(1)) <= 0:
        example = f"{value}W" if isinstance(value, (int, float)) and value > 0 else "52W"
        raise ParameterError(
            f"{name}={value!r} must be a positive duration with its unit: 'D', 'W', 'M' or 'Y', e.g. "
            f"'{example}', '12M' or '1Y'. In Python pass {name}='{example}'; on the command line "
            f"-p {name}={example}.")
    return float(m.group(1)), m.group(2).upper()


def duration_in(value, unit: str, name: str = "horizon") -> float:
    """The duration ``value`` (e.g. ``"1Y"``) in periods of ``unit`` (e.g. 52.18 weeks)."""
    amount, own = parse_duration(value, name)
    return amount * DURATION_DAYS[own] / DAYS_PER_UNIT[check_unit(unit)]


def whole_periods(value, unit: str, name: str = "horizon") -> int:
    """The duration ``value`` as a whole number of periods of ``unit`` (at least one), for sums
    over periods such as CLV: ``"1Y"`` is 52 weeks, ``"12M"`` 52 weeks, ``"52W"`` 12 months."""
    return max(1, round(duration_in(value, unit, name)))


def _say(amount: float, unit: str, lang: str) -> str:
    number = f"{amount:g}"
    if lang == "zh":
        return f"{number} {'个月' if unit == 'M' else UNIT_NAMES[unit]['zh']}"
    return f"{number} {UNIT_NAMES[unit]['en']}{'' if amount == 1 else 's'}"


def duration_text(value, lang: str = "zh", name: str = "horizon", *, unit: str | None = None) -> str:
    """A duration as a reader says it: ``"52W"`` → "52 周" / "52 weeks".

    With ``unit`` (the summary's time unit) a duration written in another unit also says how many
    whole periods it was counted as: ``duration_text("1Y", "en", unit="W")`` → "1 year (52 weeks)".
    """
    amount, own = parse_duration(value, name)
    text = _say(amount, own, lang)
    if unit is not None and check_unit(unit) != own:
        periods = _say(whole_periods(value, unit, name), unit, lang)
        text += f"（{periods}）" if lang == "zh" else f" ({periods})"
    return text
