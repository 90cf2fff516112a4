"""Mistakes in a data set's parameters, found in seconds, before any analysis runs.

:func:`check_dataset` reads a transaction file's header to check that the named columns
exist, then scans the date column alone for its first and last day, to check that
``observation_end`` and ``calibration_end`` lie inside the data and that the calibration and
holdout periods both hold transactions. ``crmlab build`` and ``crmlab run`` call it (through
:func:`crmlab.report.profiles.plan`) so that a misspelled column or a date outside the data
stops the build before the first chapter starts.

The reader options of a user's file (``encoding``, ``sheet``, ``date_format``, ``decimal``,
``timezone``) are checked here too (:func:`reader_options`), and the header and the date column
are read with them, as the chapter will read the file. A column of year-last dates such as
``03/05/2024`` whose day/month order cannot be known (no day above 12), or that the reader would
read in another order than the one the column shows, stops here (:func:`check_dataset`), before
any chapter runs.

Every error names the parameter three ways: the profile key (``customer_col:``), the
command-line flag (``-p customer_col=...``) and the Python argument (``customer=``). Messages
of :mod:`crmlab.io` that name the flags of ``crmlab data check`` (``--date-format``) are given
these three ways as well (:func:`_routed`).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import CrmlabError, DataError, ParameterError, format_rows
from .io import (COLUMN_ALIASES, Ledger, _norm, _parse_dates, _resolve_columns, decode_bytes,
                 sniff_table)

# Python argument of check_dataset / datasets.load -> profile key and `-p` name of the notebooks
PROFILE_KEYS = {"dataset": "dataset", "customer": "customer_col", "date": "date_col",
                "amount": "amount_col", "observation_end": "observation_end",
                "calibration_end": "calibration_end", "encoding": "encoding", "sheet": "sheet",
                "date_format": "date_format", "decimal": "decimal", "timezone": "timezone"}
#: How a user's file is read (arguments of :func:`crmlab.read_transactions`, and parameters of
#: the same names in the chapters and profiles).
READER_OPTIONS = ("encoding", "sheet", "date_format", "decimal", "timezone")
# observation_end may lie this far after the last transaction (a quiet last month, an export
# run a few days after the last order); further is taken for a typo.
SPAN_GRACE = pd.Timedelta(days=31)
HEADER_BYTES = 256 * 1024
# UTF-8 text files from this size on are scanned by DuckDB (parallel, one column read)
DUCKDB_MIN_BYTES = 32 * 1024 * 1024
SAMPLE_ROWS = 20_000


@dataclass
class DatasetCheck:
    """What :func:`check_dataset` found.

    Attributes
    ----------
    path : Path
    columns : dict
        Which source column is ``customer_id``, ``date`` and ``amount`` (None when absent).
    first, last : Timestamp
        First and last transaction (wall-clock time, as :func:`crmlab.read_transactions` reads).
    observation_end, calibration_end : Timestamp
        The bounds checked (the defaults of :func:`crmlab.datasets.load` when not given).
    n_dates, n_calibration, n_holdout : int
        Readable dates, and transactions in the calibration and holdout periods.
    engine : str
        ``"duckdb"`` or ``"pandas"``: who scanned the dates.
    """

    path: Path
    columns: dict = field(default_factory=dict)
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    observation_end: pd.Timestamp | None = None
    calibration_end: pd.Timestamp | None = None
    n_dates: int = 0
    n_calibration: int = 0
    n_holdout: int = 0
    engine: str = "pandas"


def _profile_value(value: str) -> str:
    """``value`` as written after ``key:`` in a profile: quoted when YAML would not read it
    back as this text (``"%d/%m/%Y"``, ``","``)."""
    import json

    import yaml

    try:
        read = yaml.safe_load(f"k: {value}")["k"]
    except yaml.YAMLError:
        read = None
    return value if read == value or not isinstance(read, (str, type(None))) else (
        json.dumps(value, ensure_ascii=False))


def _flag_value(key: str, value: str) -> str:
    """``-p key=value`` as typed in a shell (the value quoted when it holds a space)."""
    quoted = shlex.quote(value) if re.search(r"[\s;&|$`'\"\\*?!#()]", value) else value
    return f"-p {key}={quoted}"


def _fix(arg: str, value: str) -> str:
    """The fix for parameter ``arg`` (Python argument name) set to ``value``, three ways."""
    key = PROFILE_KEYS.get(arg, arg)
    return (f"Set it in the profile (`{key}: {_profile_value(value)}`), on the command line "
            f"(`{_flag_value(key, value)}`) or in Python ({arg}={value!r}).")


# An io message's hint for `crmlab data check`: "(command line: --date-format '%d/%m/%Y')"
_IO_FLAG = re.compile(r"\(command line: --([a-z-]+)(?: '([^']*)'| ([^\s)]+))?([^)]*)\)")
_IO_FLAG_ARG = {"date-format": "date_format", "customer": "customer", "date": "date",
                "amount": "amount", "encoding": "encoding", "sheet": "sheet",
                "decimal": "decimal", "timezone": "timezone"}


def _routed(exc: CrmlabError, prefix: str = "", also: str | None = None,
            value: str = "<value>") -> CrmlabError:
    """``exc`` of :mod:`crmlab.io`, with its ``crmlab data check`` flags given as the profile key
    and the ``-p`` flag of a chapter run or report build, as :func:`_fix` gives them; ``also``
    appends the fix of that argument (for a message that names none)."""
    def hint(m: re.Match) -> str:
        arg = _IO_FLAG_ARG.get(m.group(1))
        if arg is None:
            return m.group(0)
        key = PROFILE_KEYS.get(arg, arg)
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if value is None or m.group(4).strip():  # no value, or several ("--decimal . or ,")
            value = "<value>"
        return (f"(profile `{key}: {_profile_value(value)}`; command line "
                f"`{_flag_value(key, value)}`)")

    text = _IO_FLAG.sub(hint, str(exc))
    if also:
        text = f"{text} {_fix(also, value)}"
    return type(exc)(f"{prefix}{text}")


def reader_options(*, encoding=None, sheet=None, date_format=None, decimal=None, timezone=None,
                   where: str | None = None) -> dict:
    """The options that say how a user's file is read, checked; ``""`` counts as not given.

    Nothing is read: the values alone are checked, so that a typo stops a build before any
    chapter runs. :func:`check_dataset` and :func:`crmlab.datasets.load` both call this.

    Parameters
    ----------
    encoding : str, optional
        A text encoding Python knows (``"gbk"``, ``"gb18030"``, ``"utf-16"``...).
    sheet : str or int, optional
        An Excel sheet name, or its position from 0.
    date_format : str, optional
        A ``strptime`` format; it must hold ``%`` codes (``"%d/%m/%Y"``, not ``"dd/mm/yyyy"``).
    decimal : {".", ","}, optional
    timezone : str, optional
        An IANA time zone (``"Asia/Shanghai"``, ``"UTC"``).
    where : str, optional
        Prefix for messages (e.g. ``"profile my-data, chapter 02_rfm"``).

    Returns
    -------
    dict
        The five options, each a value or None, for :func:`crmlab.read_transactions`.

    Raises
    ------
    ParameterError
        Naming the profile key, the ``-p`` flag and the Python argument, with an example value.
    """
    import codecs

    prefix = f"{where}: " if where else ""
    given = {"encoding": encoding, "sheet": sheet, "date_format": date_format,
             "decimal": decimal, "timezone": timezone}
    out = {k: (None if v is None or (isinstance(v, str) and not v.strip()) else v)
           for k, v in given.items()}
    out = {k: v.strip() if isinstance(v, str) and k != "sheet" else v for k, v in out.items()}
    examples = {"encoding": "gb18030", "sheet": "<name>", "date_format": "%d/%m/%Y",
                "decimal": ",", "timezone": "Asia/Shanghai"}
    for arg, value in out.items():
        if value is not None and not isinstance(value, str) and not (
                arg == "sheet" and isinstance(value, int) and not isinstance(value, bool)):
            what = "text (a sheet name) or a position from 0" if arg == "sheet" else "text"
            raise ParameterError(f"{prefix}{arg}={value!r} must be {what}. "
                                 f"{_fix(arg, examples[arg])}")
    problem = None
    if out["encoding"] is not None:
        try:
            codecs.lookup(out["encoding"])
        except LookupError:
            problem = ("encoding", f"encoding={out['encoding']!r} is not a text encoding Python "
                       "knows; Chinese exports are usually 'gb18030' (which reads GBK and GB2312) "
                       "or 'utf-16', or leave it empty to detect the encoding.")
    if out["date_format"] is not None and not re.search(r"%[A-Za-z]", out["date_format"]):
        problem = ("date_format", f"date_format={out['date_format']!r} has no strptime code; "
                   "write the format with % codes: '%d/%m/%Y' reads 03/05/2024 as 3 May 2024 "
                   "(%d day, %m month, %Y year, %H:%M hour and minute), or leave it empty to "
                   "detect the format.")
    if problem:
        raise ParameterError(f"{prefix}{problem[1]} {_fix(problem[0], examples[problem[0]])}")
    from .io import _check_decimal, _check_timezone

    try:  # the reader's own checks, their fixes given for this route
        _check_decimal(out["decimal"])
        _check_timezone(out["timezone"])
    except ParameterError as exc:
        raise _routed(exc, prefix) from None
    return out


def _last_instant(ts: pd.Timestamp) -> pd.Timestamp:
    """A date bound means the whole day; a bound with a time of day is taken as given."""
    return ts + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1) if ts == ts.normalize() else ts


def _bound(value, arg: str, where: str) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if ts is pd.NaT:
        raise ParameterError(f"{where}{PROFILE_KEYS[arg]}={value!r} is not a date; write it as "
                             f"'YYYY-MM-DD'. {_fix(arg, 'YYYY-MM-DD')}")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def read_header(path: Path, *, encoding=None, sheet=None, wanted=()) -> tuple[list[str], dict]:
    """The column names of a transaction file, read from its first bytes or rows only.

    Returns ``(columns, info)``; ``info`` has the text ``encoding``, field ``sep`` and
    ``header_line`` (0-based) of a text file.
    """
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names), {}
        except Exception as exc:  # pyarrow raises many types
            raise DataError(f"{path.name}: not a readable Parquet file ({type(exc).__name__}). "
                            "Check that the export finished, or export as CSV.") from None
    if suffix in (".xlsx", ".xlsm", ".xls"):
        from .io import _read_excel

        frame, _, _ = _read_excel(path, sheet=sheet, wanted=wanted)
        return [str(c) for c in frame.columns], {}
    with open(path, "rb") as fh:
        data = fh.read(HEADER_BYTES)
    if not data:
        raise DataError(f"{path.name}: the file is empty. Export the transactions again.")
    text, used, _ = decode_bytes(data, path.name, encoding, partial=True)
    lines = text.splitlines()[:50]
    sep, header_line, header = sniff_table(lines, suffix, wanted)
    return header, {"encoding": used, "sep": sep, "header_line": header_line}


class _Dates:
    """Readable dates of a column: first, last, how many, and how many up to an instant."""

    def __init__(self, values: np.ndarray):
        self.values = values
        self.n = len(values)
        self.first = pd.Timestamp(values.min()) if self.n else None
        self.last = pd.Timestamp(values.max()) if self.n else None

    def count_upto(self, ts: pd.Timestamp) -> int:
        return int((self.values <= ts.to_datetime64()).sum())


class _DuckDates(_Dates):
    """The same, computed by DuckDB from a UTF-8 text file without loading it into pandas."""

    def __init__(self, path: Path, column: str, info: dict, formats: list[str]):
        import duckdb

        self.con = duckdb.connect()
        col = '"' + column.replace('"', '""') + '"'
        text = f"trim({col})"
        strp = ", ".join("'" + f.replace("'", "''") + "'" for f in formats)
        parse = (f"coalesce(try_strptime({text}, [{strp}]), try_cast({text} AS TIMESTAMP))"
                 if formats else f"try_cast({text} AS TIMESTAMP)")
        sep = info.get("sep", ",").replace("'", "''")
        # the year-last dates of the whole column, as _YEAR_LAST reads them (RE2 has no
        # back-reference: the second separator is any of the three)
        year_last = r"^\s*(\d{1,2})([/.\-])(\d{1,2})[/.\-]\d{4}"
        self.con.execute(
            f"CREATE TEMP TABLE d AS SELECT * FROM (SELECT {parse} AS d, "
            f"CASE WHEN regexp_matches({col}, '{year_last}') THEN "
            f"regexp_extract({col}, '{year_last}', ['a', 'sep', 'b']) END AS yl "
            f"FROM read_csv(?, delim='{sep}', header=true, "
            f"skip={int(info.get('header_line', 0))}, all_varchar=true)) "
            "WHERE d IS NOT NULL OR yl IS NOT NULL", [str(path)])
        n_yl, max_a, max_b, seps = self.con.execute(
            "SELECT count(*), max(CAST(yl.a AS INTEGER)), max(CAST(yl.b AS INTEGER)), "
            "list(DISTINCT yl.sep) FROM d WHERE yl IS NOT NULL").fetchone()
        self.year_last = (int(n_yl), max_a or 0, max_b or 0, set(seps or []))
        self.con.execute("DELETE FROM d WHERE d IS NULL")
        first, last, n = self.con.execute("SELECT min(d), max(d), count(*) FROM d").fetchone()
        self.n = int(n)
        self.first = pd.Timestamp(first) if n else None
        self.last = pd.Timestamp(last) if n else None

    def count_upto(self, ts: pd.Timestamp) -> int:
        return int(self.con.execute("SELECT count(*) FROM d WHERE d <= ?",
                                    [ts.to_pydatetime()]).fetchone()[0])


def _duckdb_formats(path: Path, column: str, info: dict, date_format,
                    prefix: str = "") -> tuple[list[str], tuple | None] | None:
    """The strptime formats for DuckDB, from io's reading of the first rows, and the
    day/month order these rows show (``("day" | "month", separator)``, or None when they hold
    no date written year last); None when the column needs pandas (time zones, a format DuckDB
    does not share, or first rows whose day/month order cannot be known: a log sorted by date
    that starts on the 1st shows no day above 12 for a while, and the whole column is then
    read and checked by pandas). The first rows' day/month order is checked
    (:func:`_check_day_month`); :func:`_head_decides` checks the rest of the column."""
    from .io import DATE_FORMATS, timezone_flags

    if date_format:
        return [date_format], None
    enc = "utf-8-sig"
    head = pd.read_csv(path, sep=info.get("sep", ","), usecols=[column], dtype=str, encoding=enc,
                       skiprows=info.get("header_line", 0), nrows=SAMPLE_ROWS,
                       keep_default_na=False, na_values=[""], skipinitialspace=True,
                       index_col=False)[column]
    if timezone_flags(head.dropna()).any():
        return None
    ledger = Ledger(source=path.name)
    offset = info.get("header_line", 0) + 2
    parsed = _parse_dates(head, path.name, column, offset, None, ledger, None)
    if not _check_day_month(head, parsed, path.name, column, offset, prefix, head=True):
        return None
    seen = [f for f in (ledger.date_format or "").split(" + ") if f and f != "ISO8601"]
    rest = [f for f in DATE_FORMATS if f not in seen and f != "ISO8601"]
    m = head.dropna().astype(str).str.extract(_YEAR_LAST).dropna()
    shown = None
    if len(m):
        order = "day" if (m[0].astype(int) > 12).any() else "month"
        shown = (order, m[1].mode().iloc[0])
    return seen + rest, shown


def _head_decides(shown: tuple | None, whole: tuple) -> bool:
    """Whether the first rows' reading holds for the whole column's dates written year last.

    ``whole`` is ``(count, largest first number, largest second number, separators)`` over
    the whole column. True when there are none, or when the first rows showed an order and
    every such date has that separator and can be read in that order (DuckDB tries the
    first rows' formats first). Otherwise (dates whose order the first rows never showed, or
    another separator, or both orders) the whole column is read and checked by pandas, as the
    chapter reads it, so a wrong order is refused here and not in the middle of a build."""
    n, max_a, max_b, seps = whole
    if n == 0:
        return True
    if shown is None:
        return False
    order, sep = shown
    return seps == {sep} and (max_b if order == "day" else max_a) <= 12


def _date_column(path: Path, column: str, info: dict, *, sheet, date_format, timezone,
                 customer, amount) -> tuple[pd.Series, pd.Series, int]:
    """The date column alone, parsed as :func:`crmlab.read_transactions` parses it.

    Returns ``(dates, raw, offset)``: the parsed dates, the column as written (text, or
    Excel's cells) and the row number a user sees for its first value.
    """
    suffix = path.suffix.lower()
    ledger = Ledger(source=path.name)
    if suffix in (".parquet", ".pq"):
        raw = pd.read_parquet(path, columns=[column])[column]
        offset = 2
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        from .io import _read_excel

        frame, _, offset = _read_excel(path, sheet=sheet,
                                       wanted=tuple(c for c in (customer, column, amount) if c))
        raw = frame[column]
    else:
        enc = info.get("encoding") or "utf-8"
        enc = "utf-8-sig" if enc == "utf-8" else enc
        sep = info.get("sep", ",")
        raw = pd.read_csv(path, sep=sep, usecols=[column], dtype=str, encoding=enc,
                          skiprows=info.get("header_line", 0), keep_default_na=False,
                          na_values=[""], skipinitialspace=True, index_col=False,
                          engine="python" if sep == r"\s+" else "c")[column]
        offset = info.get("header_line", 0) + 2
    return (_parse_dates(raw, path.name, column, offset, date_format, ledger, timezone), raw,
            offset)


# A date written year last (03/05/2024, 03.05.2024, 3/5/2024), then its time of day if any
_YEAR_LAST = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4})")
_TIME_OF_DAY = re.compile(r"^\s*\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}([ T]+)\d{1,2}:\d{2}(:\d{2})?")


def _check_day_month(raw: pd.Series, parsed: pd.Series, name: str, column: str, offset: int,
                     prefix: str, *, head: bool = False) -> bool:
    """Refuse dates written year last (03/05/2024) that are read without ``date_format`` when
    their day/month order is read wrong or cannot be known.

    The file shows its order when a first number is above 12 (28/05/2024: day first) or a
    second one is (05/28/2024: month first). Then every date that is a valid date in that order
    must have been read (``parsed``) as that date, none dropped or read the other way round.
    The reader knows both orders with slashes, dots and dashes (``%d/%m/%Y``, ``%m.%d.%Y``,
    ``%d-%m-%Y``..., each also with ``%H:%M`` or ``%H:%M:%S``), so these are read right; the
    comparison with the dates as written is the guard that no change of its formats or of its
    choice among them swaps or drops dates unseen (a format it does not know is refused here,
    with the format that reads it).
    When no number is above 12, the order cannot be known, and the reader's month-first guess
    is refused. The caller skips this when ``date_format`` is given.

    ``head``: ``raw`` holds only the first rows of a longer column. When these rows do not show
    the order, nothing is refused (a log sorted by date may show a day above 12 later, and the
    order its reader then takes decides the first rows too); False is returned and the caller
    checks the whole column.

    A log has far fewer days than rows: the date parts (the first ten characters) are matched
    once per distinct value, so millions of timestamps take a second, not a minute.

    Returns
    -------
    bool
        True when the dates pass; False only for ``head`` rows whose order cannot be known.

    Raises
    ------
    ParameterError
        Naming the first value that shows the order (or reads both ways), its row, and the
        ``date_format`` that reads the column as profile key, ``-p`` flag and Python argument.
    """
    from .io import _examples

    text = raw.astype("string")  # Excel's datetime cells become ISO text and never match
    codes, days = pd.factorize(text.str.slice(0, 10))
    m = pd.Series(days, dtype="string").str.extract(_YEAR_LAST)
    known = m[0].notna().to_numpy()
    rows = codes >= 0
    rows[rows] = known[codes[rows]]
    if not rows.any():
        return True
    at = codes[rows]  # each year-last row's distinct date part
    numbers = m[[0, 2, 3]].fillna("0").astype(int).to_numpy()
    first, second = numbers[at, 0], numbers[at, 1]
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    if day_first and month_first:
        return True  # both orders in one column: the reader refuses it and says why
    sep = pd.Series(m[1].to_numpy()[at[:2000]]).mode().iloc[0]
    times = text[rows].iloc[:2000].str.extract(_TIME_OF_DAY)
    time = ""
    if times[0].notna().mean() >= 0.5:
        time = (times[0].dropna().mode().iloc[0] + "%H:%M"
                + (":%S" if times[1][times[0].notna()].notna().mean() >= 0.5 else ""))
    fmt = {"day": f"%d{sep}%m{sep}%Y{time}", "month": f"%m{sep}%d{sep}%Y{time}"}
    whole = np.zeros(len(raw), dtype=bool)
    if day_first or month_first:
        order = "day" if day_first else "month"
        d, mo = (0, 1) if day_first else (1, 0)
        written = pd.to_datetime(pd.DataFrame({"year": numbers[:, 2], "month": numbers[:, mo],
                                               "day": numbers[:, d]}), errors="coerce")
        written = written.to_numpy().astype("datetime64[D]")[at]
        got = parsed.to_numpy()[rows].astype("datetime64[D]")
        wrong = ~np.isnat(written) & (np.isnat(got) | (got != written))
        if not wrong.any():
            return True
        shows = (first > 12) if day_first else (second > 12)
        whole[np.flatnonzero(rows)[shows]] = True
        example = text[whole].iloc[0]
        raise ParameterError(
            f"{prefix}{name}: column {column!r} writes the {order} first ({example!r} at "
            f"{format_rows(_examples(whole, offset, raw.index, 1))}), but read without "
            f"date_format {int(wrong.sum()):,} of its {int(rows.sum()):,} dates would be "
            f"dropped or have day and month swapped. Give the format of the column, "
            f"{fmt[order]!r}. {_fix('date_format', fmt[order])}")
    if head:
        return False  # the rest of the column may show the order, or read both ways
    differ = first != second
    if not differ.any():
        return True  # 01/01/2024, 02/02/2024...: both orders read the same dates
    whole[np.flatnonzero(rows)[differ]] = True
    example = text[whole].iloc[0]
    a, b = int(first[differ][0]), int(second[differ][0])
    raise ParameterError(
        f"{prefix}{name}: the day/month order of column {column!r} cannot be known: no day is "
        f"above 12, so every date reads both ways ({example!r} at "
        f"{format_rows(_examples(whole, offset, raw.index, 1))} is day {a} of month {b}, or "
        f"day {b} of month {a}). Give the format of the column: {fmt['day']!r} when the day "
        f"comes first, {fmt['month']!r} when the month does. {_fix('date_format', fmt['day'])}")


def check_day_month(path, date: str, *, encoding=None, sheet=None, timezone=None,
                    customer: str | None = None, amount: str | None = None,
                    where: str | None = None) -> None:
    """The day/month check of :func:`check_dataset` alone, for a file read without
    ``date_format``: reads the header and the date column ``date`` (its name in the file).

    :func:`crmlab.datasets.load` calls it when the reader took a year-last format
    (``%m/%d/%Y``...), so a chapter run in JupyterLab, without pre-flight, refuses what
    ``crmlab run`` refuses. Raises ParameterError (see :func:`_check_day_month`).
    """
    prefix = f"{where}: " if where else ""
    path = Path(path)
    try:
        _, info = read_header(path, encoding=encoding, sheet=sheet,
                              wanted=tuple(c for c in (customer, date, amount) if c))
        parsed, raw, offset = _date_column(path, date, info, sheet=sheet, date_format=None,
                                           timezone=timezone, customer=customer, amount=amount)
    except DataError as exc:
        raise _routed(exc, prefix) from None
    _check_day_month(raw, parsed, path.name, date, offset, prefix)


def check_dataset(dataset, *, customer: str | None = None, date: str | None = None,
                  amount: str | None = None, observation_end=None, calibration_end=None,
                  encoding: str | None = None, sheet=None, date_format: str | None = None,
                  decimal: str | None = None, timezone: str | None = None,
                  where: str | None = None, engine: str = "auto") -> DatasetCheck | None:
    """Check a data set's parameters against the file, in seconds, before any analysis.

    Parameters
    ----------
    dataset : str or Path
        A built-in data set name (``"cdnow"``, ``"simulated-retail"``...: nothing to check,
        returns None) or a transaction file (CSV/TSV, Excel, Parquet).
    customer, date, amount : str, optional
        Column names as given (profile keys ``customer_col``, ``date_col``, ``amount_col``);
        empty strings count as not given (the columns are then found by name).
    observation_end, calibration_end : str or Timestamp, optional
        The period bounds; a date means the whole day. When not given, the defaults of
        :func:`crmlab.datasets.load` are checked (the last transaction day; two thirds of the
        span).
    encoding, sheet, date_format, decimal, timezone
        As for :func:`crmlab.read_transactions` (profile keys and ``-p`` names the same); empty
        strings count as not given. Their values are checked (:func:`reader_options`), also
        for a built-in data set, which is read as shipped (as by :func:`crmlab.datasets.load`).
        The header and the date column are read with them, as the chapter will read the file.
        Without ``date_format``, a date column written year last (``03/05/2024``) must show its
        day/month order and be read in it (:func:`_check_day_month`).
    where : str, optional
        Prefix for messages (e.g. ``"profile my-data, chapter 03_clv"``).
    engine : {"auto", "duckdb", "pandas"}
        Who scans the date column. ``"auto"``: DuckDB for UTF-8 text files of 32 MB or more
        (the formats are those :func:`crmlab.read_transactions` finds in the first 20,000
        rows, then the other known ones), pandas otherwise (GBK and UTF-16 text, Excel,
        Parquet's one column, time zones, first rows whose day/month order cannot be
        known, and dates written year last later in the column that the first rows do not
        decide: :func:`_head_decides`), with the parser of :func:`crmlab.read_transactions`.

    Returns
    -------
    DatasetCheck or None

    Raises
    ------
    ParameterError
        A column that the file does not have (with the closest names), a bound outside the
        data, ``calibration_end`` not before ``observation_end``, an empty calibration or
        holdout period, a bad reader option, or dates whose day/month order would be read wrong
        or cannot be known. The message names the profile key, the ``-p`` flag and the argument.
    DataError
        A file that cannot be read (as :func:`crmlab.read_transactions` would say, with the fix
        named as profile key and ``-p`` flag).

    Notes
    -----
    Only the header and the date column are read: a CSV or Parquet file's other columns are
    skipped.
    """
    from .datasets import BUILTIN

    prefix = f"{where}: " if where else ""
    options = reader_options(encoding=encoding, sheet=sheet, date_format=date_format,
                             decimal=decimal, timezone=timezone, where=where)
    encoding, sheet, date_format, timezone = (options[k] for k in ("encoding", "sheet",
                                                                   "date_format", "timezone"))
    if isinstance(dataset, str) and dataset.strip() in BUILTIN:
        return None
    if not isinstance(dataset, (str, Path)) or not str(dataset).strip():
        raise ParameterError(f"{prefix}dataset={dataset!r}: give a built-in data set "
                             f"({', '.join(BUILTIN)}) or the path of a transaction file. "
                             + _fix("dataset", "data/raw/orders.csv"))
    path = Path(str(dataset).strip()).expanduser()
    if not path.is_file():
        raise ParameterError(
            f"{prefix}dataset={str(dataset)!r} is neither a built-in data set "
            f"({', '.join(BUILTIN)}) nor an existing file (looked for {path.resolve()}; paths "
            f"are relative to where crmlab runs). " + _fix("dataset", "data/raw/orders.csv"))
    given = {"customer": customer or None, "date": date or None, "amount": amount or None}
    try:
        columns, info = read_header(path, encoding=encoding, sheet=sheet,
                                    wanted=tuple(v for v in given.values() if v))
    except DataError as exc:
        raise _routed(exc, prefix, also="sheet" if "sheet" in str(exc) else None,
                      value="<name>") from None
    _check_named_columns(path, columns, given, prefix)
    try:
        roles = _resolve_columns(pd.DataFrame(columns=columns), path.name, **given)
    except DataError as exc:
        role = next((a for a in ("customer", "date") if f"no {a}" in str(exc)), "customer")
        raise ParameterError(f"{prefix}{exc} " + _fix(role, "<column>")) from None
    report = DatasetCheck(path=path, columns=roles)
    dates = None
    text_file = bool(info) and info.get("sep") != r"\s+"
    if engine not in ("auto", "duckdb", "pandas"):
        raise ParameterError(f"engine={engine!r}: use 'auto', 'duckdb' or 'pandas'.")
    try:
        if text_file and info.get("encoding") == "utf-8" and timezone is None and (
                engine == "duckdb" or (engine == "auto"
                                       and path.stat().st_size >= DUCKDB_MIN_BYTES)):
            found = _duckdb_formats(path, roles["date"], info, date_format, prefix)
            if found is not None:
                dates = _DuckDates(path, roles["date"], info, found[0])
                if date_format is None and not _head_decides(found[1], dates.year_last):
                    dates = None
        if dates is None:
            parsed, raw, offset = _date_column(path, roles["date"], info, sheet=sheet,
                                               date_format=date_format, timezone=timezone,
                                               customer=roles["customer_id"],
                                               amount=roles["amount"])
            if date_format is None:
                _check_day_month(raw, parsed, path.name, roles["date"], offset, prefix)
            dates = _Dates(parsed.dropna().to_numpy())
    except DataError as exc:
        raise _routed(exc, prefix) from None
    if not dates.n:
        raise DataError(f"{prefix}{path.name}: no value in column {roles['date']!r} is a date. "
                        + _fix("date", "<column>"))
    report.first, report.last, report.n_dates = dates.first, dates.last, dates.n
    report.engine = "duckdb" if isinstance(dates, _DuckDates) else "pandas"
    _check_periods(report, dates, _bound(observation_end, "observation_end", prefix),
                   _bound(calibration_end, "calibration_end", prefix), prefix)
    return report


def _check_named_columns(path: Path, columns: list[str], given: dict, prefix: str) -> None:
    from .notebook import did_you_mean

    by_norm = {_norm(c): c for c in columns}
    for arg, value in given.items():
        if value is None or value in columns or _norm(value) in by_norm:
            continue
        role = {"customer": "customer_id", "date": "date", "amount": "amount"}[arg]
        hint = did_you_mean([value], columns)
        if not hint:
            auto = next((by_norm[_norm(a)] for a in COLUMN_ALIASES[role] if _norm(a) in by_norm),
                        None)
            hint = f" (the {arg} column found by name would be {auto!r})" if auto else ""
        key = PROFILE_KEYS[arg]
        raise ParameterError(
            f"{prefix}{key}={value!r}: {path.name} has no such column{hint}. Columns found: "
            f"{', '.join(map(str, columns))}. Set `{key}:` in the profile to one of them "
            f"(command line: -p {key}=<column>; Python: {arg}='<column>'), or leave it empty "
            "to find the column by name."
        )


def _check_periods(report: DatasetCheck, dates: _Dates, obs, cal, prefix: str) -> None:
    first, last = report.first, report.last
    span = f"the data run from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    obs = obs if obs is not None else last.normalize()
    obs_last = _last_instant(obs)
    if obs_last < first:
        raise ParameterError(
            f"{prefix}observation_end={obs:%Y-%m-%d} is before the first transaction: {span}. "
            + _fix("observation_end", f"{last:%Y-%m-%d}"))
    if obs.normalize() > last.normalize() + SPAN_GRACE:
        raise ParameterError(
            f"{prefix}observation_end={obs:%Y-%m-%d} is more than {SPAN_GRACE.days} days after "
            f"the last transaction: {span}. " + _fix("observation_end", f"{last:%Y-%m-%d}"))
    first_day = first.normalize()
    if cal is None:
        cal = (first_day + (obs.normalize() - first_day) * 2 / 3).normalize()
    cal_last = _last_instant(cal)
    suggest = f"{(first_day + (obs.normalize() - first_day) * 2 / 3).normalize():%Y-%m-%d}"
    if not cal_last < obs_last:
        raise ParameterError(
            f"{prefix}calibration_end={cal:%Y-%m-%d} must be before observation_end="
            f"{obs:%Y-%m-%d}. " + _fix("calibration_end", suggest))
    n_cal = dates.count_upto(cal_last)
    n_hold = dates.count_upto(obs_last) - n_cal
    report.observation_end, report.calibration_end = obs, cal
    report.n_calibration, report.n_holdout = n_cal, n_hold
    if n_cal == 0:
        raise ParameterError(
            f"{prefix}the calibration period is empty: calibration_end={cal:%Y-%m-%d} is before "
            f"the first transaction ({span}). " + _fix("calibration_end", suggest))
    if n_hold == 0:
        raise ParameterError(
            f"{prefix}the holdout period is empty: no transaction after calibration_end="
            f"{cal:%Y-%m-%d} up to observation_end={obs:%Y-%m-%d} ({span}). "
            + _fix("calibration_end", suggest))


# notebook parameter -> check_dataset argument
NOTEBOOK_PARAMETERS = {"dataset": "dataset", "customer_col": "customer", "date_col": "date",
                       "amount_col": "amount", "observation_end": "observation_end",
                       "calibration_end": "calibration_end",
                       **{name: name for name in READER_OPTIONS}}


def check_runs(runs, where: str) -> None:
    """Check the data set of every planned chapter run once (see :func:`check_dataset`).

    ``runs`` are :class:`crmlab.report.profiles.ChapterRun` objects; a chapter without a
    ``dataset`` parameter is skipped, and identical settings are checked once.
    """
    seen = set()
    for run in runs:
        if "dataset" not in run.declared:
            continue
        values = {arg: run.parameters.get(name, run.declared[name].default
                                          if name in run.declared else None)
                  for name, arg in NOTEBOOK_PARAMETERS.items()}
        key = tuple(str(v) for v in values.values())
        if key in seen:
            continue
        seen.add(key)
        dataset = values.pop("dataset")
        check_dataset(dataset, **values, where=f"{where}, chapter {run.chapter}")
