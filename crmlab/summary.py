"""One row per customer: the BTYD summary (frequency, recency, T, monetary_value) and course RFM.

The computation is written once, as an Ibis expression, and runs wherever the data lives:

* on an embedded DuckDB connection (the default; no server). Parquet and CSV paths are streamed
  by DuckDB and never loaded whole into pandas;
* on the backend of an Ibis table you pass in, e.g. a PySpark table
  (``ibis.pyspark.connect(spark).table("transactions")``), so a warehouse-sized log is summarised
  where it lives and only the per-customer result comes back.

Definitions (lifetimes', with its single ``freq`` split in two)
--------------------------------------------------------------
``aggregate`` ("D", "W" or "M") is the period within which a customer's purchases merge into
one: a day, a Monday-to-Sunday week, or a calendar month. ``time_unit`` ("D", "W" or "M") is
the unit in which recency, T and duration_holdout are expressed. lifetimes'
``summary_data_from_transaction_data(freq=X)`` is ``aggregate=X, time_unit=X``; the published
BTYD studies use ``aggregate="D", time_unit="W"``.

* ``frequency``: number of periods with a purchase, minus one (repeat purchase periods).
* ``recency``: start of the last purchase period minus start of the first, in ``time_unit``.
* ``T``: start of the period holding ``observation_end`` (or ``calibration_end``) minus start of
  the first purchase period, in ``time_unit``.
* ``monetary_value``: mean value of the repeat purchase periods (the amounts of one period are
  summed first), 0 for customers without repeats.

Unit rule: when ``aggregate == time_unit`` durations are whole numbers of periods (for months,
the difference of calendar-month ordinals, as lifetimes' ``to_period("M")`` intends). Otherwise
the number of days between period starts is converted with :mod:`crmlab.units`: weeks are
``days / 7`` and months ``days / (365.25 / 12)``, so e.g. ``aggregate="D", time_unit="W"``
gives fractional weeks.

Exact, reproducible sums
------------------------
Floating-point addition is not associative, and a parallel engine (DuckDB's threads, Spark's
partitions) adds a customer's amounts in whatever order its hash aggregation sees them, so a
float sum can differ in the last bits between two runs on the same log. crmlab therefore sums
amounts as exact decimals: every amount is rounded once to ``AMOUNT_SCALE`` = 9 decimal places
(``DECIMAL(38, 9)``, totals up to 10^29), all sums and differences of sums are exact integer
arithmetic whatever the order, and each result is converted to float64 once, at the end.

The rule for the scale: the rounding must be exact for currency and negligible for anything
else. An amount with up to 9 decimals (cents, mills, ...) below 2^22 = 4,194,304 is recovered
digit for digit from its float64 (checked on DuckDB; Spark rounds the shortest decimal form of
the float, exact at any size), so the sums of such amounts are the exact sums, and a total below
2^53 / 10^9 ~ 9 million comes back as the float64 nearest to it. Any other amount (larger, or
with more decimals, e.g. simulated spend) moves by at most 5e-10, well inside the 1e-9 agreement
with lifetimes. ``summarise``, ``rfm_table`` and hence ``compress`` are therefore bit-for-bit
identical between runs, thread counts and partitionings of one engine. Amounts must be finite
and below ``AMOUNT_LIMIT`` = 10^20 in magnitude.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .checks import parse_end
from .errors import DataError, ParameterError
from .units import DAYS_PER_UNIT, check_unit

__all__ = ["summarise", "compress", "rfm_table"]

REQUIRED = ("customer_id", "date")
SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value", "first_purchase",
                   "last_purchase", "n_transactions", "total_amount")
HOLDOUT_COLUMNS = ("frequency_holdout", "monetary_value_holdout", "total_amount_holdout",
                   "duration_holdout")
PATTERN_COLUMNS = ("frequency", "recency", "T")
#: Optional summary columns that are part of a customer's pattern when present (compress).
OPTIONAL_PATTERN_COLUMNS = ("litt", "n_periods")

# Which date strings carry a zone is decided by crmlab.io's one detector (io.TZ_PATTERN,
# io.timezone_flags); a zone is then removed from the end of the value to keep its wall clock.
_TZ_SUFFIX = r"\s*(Z|UTC|GMT|[+-][0-9]{2}(:?[0-9]{2})?)$"
_SECONDS_PER_DAY = 86400

#: Decimal places to which amounts are rounded before they are summed exactly (module docstring).
AMOUNT_SCALE = 9
#: Largest amount magnitude accepted: DECIMAL(38, 9) holds 29 integer digits, which leaves
#: room for a billion transactions of the largest amount in one sum.
AMOUNT_LIMIT = 1e20
#: Decimal places to which each log inter-purchase time is rounded before ``litt`` sums them
#: exactly (``regularity=True``): at most 5e-13 per purchase, and the same in every run.
LITT_SCALE = 12


# --------------------------------------------------------------------------------------------
# Input: any supported source -> a clean Ibis table (customer_id str, date timestamp[, amount])
# --------------------------------------------------------------------------------------------

class _Input:
    """A prepared Ibis table plus what was learned while preparing it.

    ``policy`` is True for files summarised by the streaming route, which applies
    :func:`crmlab.read_transactions`' row policy in the query (rows without a customer, date or
    numeric amount, and negative amounts, are dropped and counted in a ledger). ``ledger`` is
    the :class:`crmlab.io.Ledger` of the input, when there is one.
    """

    def __init__(self, table, source: str, has_amount: bool, tz_converted: bool, engine=None,
                 *, policy: bool = False, ledger=None, tz_local: bool = False):
        self.table = table
        self.engine = engine
        self.source = source
        self.has_amount = has_amount
        self.tz_converted = tz_converted  # dates were instants, now in UTC
        self.tz_local = tz_local  # dates had a zone, its wall-clock time was kept
        self.policy = policy
        self.ledger = ledger


#: Memory cap of the default embedded DuckDB, in MB (at most 75% of the machine's memory).
#: Beyond it DuckDB spills to a temporary folder. The summary sorts each customer's
#: transactions (a window) and aggregates by customer, both of which spill gracefully: on a
#: 2-core VM, 10 million rows peak at about 800 MB of RSS and 100 million rows at about
#: 840 MB in the same time as with 5 GB (a log with one customer holding half of 20 million
#: rows too; ``benchmarks/RESULTS.md``). The environment variable CRMLAB_DUCKDB_MEMORY_LIMIT
#: (e.g. "4GB") replaces it; or pass your own connection, e.g.
#: ``engine=ibis.duckdb.connect(memory_limit="8GB")``.
DUCKDB_MEMORY_MB = 650
MEMORY_LIMIT_VARIABLE = "CRMLAB_DUCKDB_MEMORY_LIMIT"
_MEMORY_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.I)
_UNITS_CANON = {u.lower(): u for u in ("B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB")}
_spill = {"pid": None, "dir": None}


def _memory_limit() -> str:
    """The DuckDB memory cap: CRMLAB_DUCKDB_MEMORY_LIMIT, validated, or the default."""
    value = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if value is None or not value.strip():
        try:
            total_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
        except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
            total_mb = 8192
        return f"{int(min(DUCKDB_MEMORY_MB, 0.75 * total_mb))}MB"
    m = _MEMORY_LIMIT.match(value)
    if m is None or float(m.group(1)) <= 0:
        raise ParameterError(
            f"the environment variable {MEMORY_LIMIT_VARIABLE}={value!r} is not a memory size; "
            f"set it to a number and a unit, e.g. {MEMORY_LIMIT_VARIABLE}=8GB (or 650MB), or "
            "unset it for the default cap. In Python you can instead pass "
            "engine=ibis.duckdb.connect(memory_limit='8GB')."
        )
    return f"{m.group(1)}{_UNITS_CANON[m.group(2).lower()]}"


def _spill_directory() -> str:
    """A private temporary folder (mode 0700) for DuckDB's spill files, one per process,
    removed when the process exits."""
    import atexit
    import shutil
    import tempfile

    if _spill["pid"] != os.getpid() or not os.path.isdir(_spill["dir"] or ""):
        path = tempfile.mkdtemp(prefix="crmlab-duckdb-")
        atexit.register(shutil.rmtree, path, True)
        _spill.update(pid=os.getpid(), dir=path)
    return _spill["dir"]


def _default_engine():
    import ibis

    limit = _memory_limit()  # validated before anything is created
    con = ibis.duckdb.connect(temp_directory=_spill_directory(), preserve_insertion_order=False)
    # Timezone-aware data are converted to UTC; make DuckDB's casts agree with pandas'.
    con.raw_sql("SET TimeZone='UTC'")
    con.raw_sql(f"SET memory_limit='{limit}'")  # limit matches _MEMORY_LIMIT: no quotes in it
    return con


def _is_ibis_table(obj) -> bool:
    try:
        import ibis.expr.types as ir
    except ImportError:  # pragma: no cover - ibis is a core dependency
        return False
    return isinstance(obj, ir.Table)


def _check_columns(columns, source: str) -> bool:
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, columns))}. "
            "A transaction log needs customer_id and date (and optionally amount); name them "
            "with customer=, date= and amount= (e.g. summarise(df, customer='会员号', "
            "date='下单时间', ...)), or read the file with crmlab.read_transactions."
        )
    return "amount" in columns


def _renamed(columns, read_kw, source: str) -> dict[str, str]:
    """Source column -> standard name, for the columns named by customer=, date=, amount=."""
    out = {}
    for role, kw in (("customer_id", "customer"), ("date", "date"), ("amount", "amount")):
        name = read_kw.get(kw)
        if name is None:
            continue
        if name not in columns:
            raise DataError(
                f"{source}: no column named {name!r} (given as {kw}=). Columns found: "
                f"{', '.join(map(str, columns))}. Pass one of these as {kw}=..."
            )
        out[name] = role
    return out


def _prepare(tx, engine, fn: str, read_kw: dict | None = None) -> _Input:
    """Turn ``tx`` into an Ibis table on the right backend, validating what can be validated."""
    read_kw = {k: v for k, v in (read_kw or {}).items() if v is not None}
    if not isinstance(tx, (str, os.PathLike)):
        file_only = [k for k in ("encoding", "date_format") if k in read_kw]
        if file_only:
            raise ParameterError(
                f"{fn}: {'= and '.join(file_only)}= apply to files only; for a DataFrame, parse "
                "it with crmlab.read_transactions(frame, date_format=...) first."
            )
    if _is_ibis_table(tx):
        if engine is not None and engine is not tx.get_backend():
            raise ParameterError(
                f"{fn}: engine= names a different connection than the one the Ibis table lives "
                "on; leave engine=None to run on the table's own backend."
            )
        rename = _renamed(tx.columns, read_kw, "Ibis table")
        if rename:
            tx = tx.rename({new: old for old, new in rename.items()})
        return _prepare_ibis(tx, f"Ibis table ({tx.get_backend().name})")

    from ibis.backends import BaseBackend

    if engine is None or (isinstance(engine, str) and engine == "duckdb"):
        engine = _default_engine()
    elif isinstance(engine, str):
        raise ParameterError(
            f"{fn}: engine={engine!r} is not known; use None or 'duckdb' for embedded DuckDB, or "
            "pass an Ibis connection (e.g. ibis.pyspark.connect(spark))."
        )
    elif not isinstance(engine, BaseBackend):
        raise ParameterError(
            f"{fn}: engine= must be None, 'duckdb' or an Ibis connection such as "
            f"ibis.duckdb.connect() or ibis.pyspark.connect(spark); got a {type(engine).__name__}."
        )

    if hasattr(tx, "frame") and isinstance(getattr(tx, "frame", None), pd.DataFrame):
        frame = tx.frame.rename(columns=_renamed(tx.frame.columns, read_kw, tx.source))
        return _prepare_pandas(frame, str(getattr(tx, "source", "transactions")), engine,
                               ledger=getattr(tx, "ledger", None))
    if isinstance(tx, pd.DataFrame):
        return _prepare_pandas(tx.rename(columns=_renamed(tx.columns, read_kw, "DataFrame")),
                               "DataFrame", engine)
    if isinstance(tx, (str, os.PathLike)):
        return _prepare_path(tx, engine, read_kw)
    raise ParameterError(
        f"{fn} got a {type(tx).__name__}; pass a crmlab.Transactions, a pandas DataFrame, a "
        "file path (CSV, TSV, Excel, Parquet) or an Ibis table."
    )


#: Missing-value spellings of a customer id, as crmlab.read_transactions reads them.
_NULL_IDS = ("", "nan", "NaN", "None", "NULL", "null")
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def _utf8_sample(path: Path, encoding) -> bool:
    """True when the file can go to DuckDB's CSV reader: UTF-8 (with or without BOM) as far as
    a 4 MB sample shows, and no NUL bytes (UTF-16)."""
    if encoding is not None and str(encoding).lower().replace("_", "-") not in (
            "utf-8", "utf8", "utf-8-sig"):
        return False
    import codecs

    with open(path, "rb") as fh:
        head = fh.read(4 << 20)
    if b"\x00" in head[:4096]:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _sniffed_as_reader_reads(engine, text: str) -> bool:
    """True when DuckDB's CSV sniffer reads the file as read_transactions would: a comma or
    tab separator, the header on the first line, and dates in ISO or another year-first
    format. Formats such as %d/%m/%Y are left to read_transactions, whose rules for day-first
    or month-first dates (and its ledger note on ambiguous ones) must hold on both routes;
    so is a ";" file, whose "1.234" read_transactions reads with a decimal comma (1234), and
    a file with title rows above its header."""
    import glob

    first = text if Path(text).is_file() else next(iter(sorted(glob.glob(text))), None)
    con = getattr(engine, "con", None)
    if first is None or con is None:
        return False
    try:
        cur = con.cursor()  # its own result, not left open on the engine's connection
        try:
            sep, skip, header, *formats = cur.execute(
                "SELECT Delimiter, SkipRows, HasHeader, DateFormat, TimestampFormat "
                "FROM sniff_csv(?)", [first]).fetchall()[0]
        finally:
            cur.close()
    except Exception:  # noqa: BLE001 - an older DuckDB without sniff_csv: do not stream
        return False
    return (sep in (",", "\t") and not skip and bool(header)
            and all(f is None or str(f).startswith("%Y") for f in formats))


def _fallback(path, engine, read_kw) -> _Input:
    """The documented route for what DuckDB cannot stream: crmlab.read_transactions."""
    from .io import read_transactions

    tx = read_transactions(path, **read_kw)
    return _prepare_pandas(tx.frame, tx.source, engine, ledger=tx.ledger)


def _prepare_path(path, engine, read_kw=None) -> _Input:
    """A file: streamed by DuckDB where it can be read exactly as crmlab.read_transactions
    reads it, otherwise read by read_transactions (see :func:`summarise`)."""
    read_kw = read_kw or {}
    text = os.fspath(path)
    has_glob = any(ch in text for ch in "*?[")
    if not has_glob and not Path(text).exists():
        raise DataError(f"{text}: no such file; check the path (globs like logs/*.parquet work).")
    suffix = "".join(Path(text.rstrip("/")).suffixes[-1:]).lower()
    if Path(text).is_dir():
        text, suffix = str(Path(text) / "*.parquet"), ".parquet"
    compressed_csv = text.lower().endswith((".csv.gz", ".csv.zst"))
    single = not has_glob and Path(text).is_file()
    is_text = suffix in _TEXT_SUFFIXES or compressed_csv
    if suffix not in (".parquet", ".pq") and not is_text:
        if suffix in _EXCEL_SUFFIXES and single:
            return _fallback(text, engine, read_kw)
        raise ParameterError(
            f"{text}: cannot tell the format from the name; use a .csv, .tsv, .txt, .xlsx or "
            ".parquet file, or read it with crmlab.read_transactions first."
        )
    if read_kw.get("date_format") is not None or (
            is_text and single and not compressed_csv
            and not _utf8_sample(Path(text), read_kw.get("encoding"))):
        if single:
            return _fallback(text, engine, read_kw)
        raise ParameterError(
            f"{text}: date_format= and encodings other than UTF-8 apply to single files; "
            "read each file with crmlab.read_transactions, or convert the files to UTF-8 "
            "with ISO dates."
        )
    name = Path(text).name
    try:
        if is_text:
            table = engine.read_csv(text)
        else:
            table = engine.read_parquet(text)
        from .io import _resolve_columns

        cols = _resolve_columns(pd.DataFrame(columns=list(table.columns)), name,
                                customer=read_kw.get("customer"), date=read_kw.get("date"),
                                amount=read_kw.get("amount"))
        if is_text:
            # Ids stay text, as read_transactions keeps them ("00123" is not 123).
            table = engine.read_csv(text, types={cols["customer_id"]: "VARCHAR"})
    except (DataError, ParameterError):
        if single:
            return _fallback(text, engine, read_kw)
        raise
    except Exception as exc:  # noqa: BLE001 - any engine error on read
        if single:
            return _fallback(text, engine, read_kw)
        raise DataError(f"{text}: could not be read ({type(exc).__name__}: {exc}).") from None
    schema = table.schema()
    date_t = schema[cols["date"]]
    amount_t = schema[cols["amount"]] if cols["amount"] is not None else None
    streamable = ((date_t.is_timestamp() and date_t.timezone is None) or date_t.is_date()) and (
        amount_t is None or (amount_t.is_numeric() and not amount_t.is_boolean()))
    if streamable and is_text and not _sniffed_as_reader_reads(engine, text):
        streamable = False  # e.g. 01/02/2023, or a ";" file: read_transactions decides
    if not streamable:
        if single:
            return _fallback(text, engine, read_kw)
        raise DataError(
            f"{text}: column {cols['date']!r} ({date_t}) or {cols['amount']!r} ({amount_t}) "
            "is not read as a naive timestamp and a number; read each file with "
            "crmlab.read_transactions, which parses dates, time zones and amounts."
        )
    from .io import Ledger

    cid = table[cols["customer_id"]]
    cid_t = schema[cols["customer_id"]]
    if cid_t.is_floating():
        cid = (cid == cid.floor()).ifelse(cid.cast("int64").cast("string"), cid.cast("string"))
    elif cid_t.is_string() and is_text:
        # Text as read_transactions cleans it. A Parquet column is typed: an id is missing only
        # when it is null (cleaning 10 million ids would cost more than the summary itself).
        cid = cid.strip()
        cid = cid.isin(_NULL_IDS).ifelse(_null_string(), cid)
    else:
        cid = cid.cast("string")
    sel = {"customer_id": cid, "date": table[cols["date"]].cast("timestamp")}
    if cols["amount"] is not None:
        sel["amount"] = table[cols["amount"]].cast("float64")
    ledger = Ledger(source=name, encoding="utf-8" if is_text else None,
                    columns={k: v for k, v in cols.items() if v is not None})
    inp = _prepare_ibis(table.select(**sel), text, engine)
    inp.policy, inp.ledger = True, ledger
    return inp


def _null_string():
    import ibis

    return ibis.null("string")


def _prepare_pandas(frame: pd.DataFrame, source: str, engine, ledger=None) -> _Input:
    import ibis

    has_amount = _check_columns(list(frame.columns), source)
    cols = ["customer_id", "date"] + (["amount"] if has_amount else [])
    df = frame[cols].copy(deep=False)

    cid = df["customer_id"]
    if pd.api.types.is_float_dtype(cid) and np.all(np.mod(cid.dropna(), 1) == 0):
        cid = cid.astype("Int64")  # ids read as floats because of missing values: 12.0 -> "12"
    if not pd.api.types.is_string_dtype(cid) or cid.dtype == object:
        cid = cid.astype("str").where(cid.notna(), None)
    df["customer_id"] = cid

    date = df["date"]
    tz_local = False
    if isinstance(date.dtype, pd.DatetimeTZDtype):
        # the wall-clock time of the stated zone, as read_transactions keeps it
        date = date.dt.tz_localize(None)
        tz_local = True
    elif not pd.api.types.is_datetime64_dtype(date):
        from .io import timezone_flags

        non_null = date.dropna()
        flags = timezone_flags(non_null)
        if flags.any() and not flags.all():
            rows = lambda mask: ", ".join(map(str, non_null.index[mask][:3]))  # noqa: E731
            _refuse_mixed_tz(source, int(flags.sum()), int((~flags).sum()),
                             f"; e.g. rows {rows(flags.to_numpy())} have a timezone, rows "
                             f"{rows(~flags.to_numpy())} do not")
        try:
            if flags.any():
                date = date.map(_wall_clock, na_action="ignore")
                tz_local = True
            date = _to_datetime(date)
        except (ValueError, TypeError) as exc:
            raise DataError(
                f"{source}: column date could not be parsed as dates ({exc}). Read the log with "
                "crmlab.read_transactions(..., date_format=...) to parse and clean it."
            ) from None
    df["date"] = date.astype("datetime64[us]")

    if has_amount:
        if not pd.api.types.is_numeric_dtype(df["amount"]) or pd.api.types.is_bool_dtype(df["amount"]):
            raise DataError(
                f"{source}: column amount is not numeric (dtype {df['amount'].dtype}); convert it "
                "or read the log with crmlab.read_transactions, which parses amounts."
            )
        df["amount"] = df["amount"].astype("float64")

    # A memtable is bound to no backend; _execute runs it on ``engine`` (DuckDB by default).
    return _Input(ibis.memtable(df), source, has_amount, False, engine, ledger=ledger,
                  tz_local=tz_local)


def _wall_clock(value):
    """A date value without its zone: the wall-clock time it was written in."""
    if isinstance(value, str):
        return re.sub(_TZ_SUFFIX, "", value.strip())
    if getattr(value, "tzinfo", None) is not None:
        return pd.Timestamp(value).tz_localize(None)
    return value


def _to_datetime(values: pd.Series) -> pd.Series:
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError):
        return pd.to_datetime(values, format="mixed")  # e.g. dates with and without time


def _refuse_mixed_tz(source: str, n_aware: int, n_naive: int, examples: str = "") -> None:
    if n_aware and n_naive:
        raise DataError(
            f"{source}: column date mixes timezone-aware values ({n_aware:,}) with naive ones "
            f"({n_naive:,}){examples}. Make them consistent: give every value an offset, or "
            "convert all to local time without one."
        )


def _string_tz_counts(date, table, source: str) -> int:
    """Number of timezone-aware values in a string date column; refuse a mixture."""
    from .io import TZ_PATTERN

    aware = date.re_search(TZ_PATTERN)
    counts = table.aggregate(
        n_aware=aware.ifelse(1, 0).sum(), n_naive=(~aware).ifelse(1, 0).sum()
    ).execute().iloc[0]
    n_aware, n_naive = int(counts["n_aware"] or 0), int(counts["n_naive"] or 0)
    _refuse_mixed_tz(source, n_aware, n_naive)
    return n_aware


def _prepare_ibis(table, source: str, engine=None) -> _Input:
    import ibis.expr.datatypes as dt

    has_amount = _check_columns(list(table.columns), source)
    schema = table.schema()
    date = table["date"]
    dtype = schema["date"]
    tz_converted = tz_local = False
    if dtype.is_string():
        n_aware = _string_tz_counts(date, table, source)
        if n_aware:
            # the wall-clock time each value was written in, as read_transactions keeps it
            date = date.strip().re_replace(_TZ_SUFFIX, "")
            tz_local = True
        date = date.cast(dt.Timestamp())
    elif dtype.is_timestamp():
        if dtype.timezone is not None:
            # a zoned timestamp column holds instants: they are taken in UTC (DuckDB's
            # default engine runs in UTC; on Spark, the session time zone)
            date = date.cast(dt.Timestamp())
            tz_converted = True
    elif dtype.is_date():
        date = date.cast(dt.Timestamp())
    else:
        raise DataError(
            f"{source}: column date has type {dtype}, not a date or timestamp; convert it or read "
            "the log with crmlab.read_transactions."
        )
    cols = {"customer_id": table["customer_id"].cast("string"), "date": date}
    if has_amount:
        if not schema["amount"].is_numeric() or schema["amount"].is_boolean():
            raise DataError(
                f"{source}: column amount has type {schema['amount']}, not a number; convert it "
                "or read the log with crmlab.read_transactions, which parses amounts."
            )
        cols["amount"] = table["amount"].cast("float64")
    return _Input(table.select(**cols), source, has_amount, tz_converted, engine,
                  tz_local=tz_local)


# --------------------------------------------------------------------------------------------
# Dates and periods
# --------------------------------------------------------------------------------------------

def _timestamp(value, name: str, inp: _Input) -> tuple[pd.Timestamp, pd.Timestamp]:
    """An end bound as ``(given, last included instant)`` (:func:`crmlab.checks.parse_end`):
    a date means the whole day, a time of day is taken as given. A bound with a zone is taken
    as the dates are: its wall-clock time when they kept theirs, in UTC when they were
    converted to UTC."""
    ts, last = parse_end(value, name)
    if ts.tzinfo is not None and inp.tz_local:
        return ts.tz_localize(None), last.tz_localize(None)
    if ts.tzinfo is not None:
        if not inp.tz_converted:
            raise ParameterError(
                f"{name}={value!r} has a timezone but the transaction dates are naive; pass a "
                "naive date (e.g. '1997-09-30')."
            )
        ts = ts.tz_convert("UTC").tz_localize(None)
        last = last.tz_convert("UTC").tz_localize(None)
    return ts, last


def _show(ts: pd.Timestamp) -> str:
    """A bound as the user wrote it: the date alone for a whole day."""
    return str(ts.date()) if ts == ts.normalize() else str(ts)


def _period_start(ts: pd.Timestamp, aggregate: str) -> pd.Timestamp:
    # W is the Monday-to-Sunday week: pandas' "W" (W-SUN) periods, DuckDB/Spark date_trunc('week').
    return ts.to_period(aggregate).start_time


def _scalar_duration(start: pd.Timestamp, end: pd.Timestamp, aggregate: str, unit: str) -> float:
    if aggregate == unit == "M":
        return float((end.year * 12 + end.month) - (start.year * 12 + start.month))
    return (end - start).days / DAYS_PER_UNIT[unit]


def _duration(start, end, aggregate: str, unit: str):
    """Ibis expression: period start ``start`` to ``end`` in ``unit`` (see module docstring)."""
    if aggregate == unit == "M":
        months = (end.year() * 12 + end.month()) - (start.year() * 12 + start.month())
        return months.cast("float64")
    seconds = end.epoch_seconds().cast("int64") - start.epoch_seconds().cast("int64")
    return seconds.cast("float64") / (_SECONDS_PER_DAY * DAYS_PER_UNIT[unit])


def _exact(amount):
    """Ibis expression: a float amount as an exact DECIMAL(38, AMOUNT_SCALE), ready to sum."""
    import ibis.expr.datatypes as dt

    return amount.cast(dt.Decimal(38, AMOUNT_SCALE))


def _exact_difference(a, b):
    """Ibis expression: ``a - b`` of two exact sums, still exact on every engine.

    Spark gives the difference of two DECIMAL(38, s) one more digit of precision than 38 and so
    drops a decimal place; as DECIMAL(37, s) (28 integer digits, far above AMOUNT_LIMIT times
    any transaction count) the difference fits DECIMAL(38, s) on Spark and DuckDB alike.
    """
    import ibis.expr.datatypes as dt

    narrow = dt.Decimal(37, AMOUNT_SCALE)
    return a.cast(narrow) - b.cast(narrow)


def _as_float(value):
    """Ibis expression: an exact decimal sum converted to float64, once, at the end."""
    return value.cast("float64")


# --------------------------------------------------------------------------------------------
# The expression
# --------------------------------------------------------------------------------------------

def _flag_periods(tx, aggregate: str, groups, unit: str | None = None):
    """``tx`` with two flags about its purchase periods, from one window over each customer's
    transactions in time order (``groups``: the customer, and calibration/holdout if split).

    ``new_period`` is 1 on the first transaction of each period (the period differs from the
    previous transaction's), so its sum counts the periods with a purchase; ``in_first_period``
    marks the transactions of the first period, whose amounts lifetimes leaves out of
    ``monetary_value``. Transactions in time order have non-decreasing periods, so a period's
    transactions are adjacent and ties in time never straddle two periods.

    This replaces an aggregation over (customer, period) groups: sorting each customer's few
    rows costs DuckDB about two-thirds as much as a hash table of ~one entry per transaction,
    and it spills gracefully (10 million rows: 2.0 s instead of 2.9 s for the raw query;
    100 million rows in 30 s within a 650 MB cap; ``benchmarks/RESULTS.md``).

    With ``unit`` (``regularity=True``) a third column, ``log_itt``, holds on the first
    transaction of each period but the first the log of the time since the previous purchase
    period (the previous row's period: rows are in time order), in ``unit``, rounded to
    ``LITT_SCALE`` decimals so that its sum is exact; 0 elsewhere.
    """
    import ibis

    if aggregate == "D":
        period = tx.date.date()
    else:
        period = tx.date.truncate(aggregate).date()
    w = ibis.window(group_by=groups, order_by=tx.date)
    previous = period.lag().over(w)
    new_period = previous.isnull() | (previous != period)
    cols = dict(new_period=new_period.ifelse(1, 0),
                in_first_period=period == period.first().over(w))
    if unit is not None:
        import ibis.expr.datatypes as dt

        itt = _duration(previous.cast("timestamp"), period.cast("timestamp"), aggregate, unit)
        repeat = previous.notnull() & (previous != period)
        cols["log_itt"] = repeat.ifelse(itt.ln(), 0.0).cast(dt.Decimal(38, LITT_SCALE))
    return tx.mutate(**cols)


def _customer_stats(tx, end_period, aggregate: str, unit: str, has_amount: bool,
                    regularity: bool = False):
    """Per customer BTYD statistics of the flagged transactions ``tx`` (see _flag_periods):
    one aggregation by customer."""
    import ibis

    aggs = dict(first_purchase=tx.date.min(), last_purchase=tx.date.max(),
                n_transactions=tx.count(), n_periods=tx.new_period.sum())
    if regularity:
        aggs["litt"] = tx.log_itt.sum()
    if has_amount:
        exact = _exact(tx.amount)
        aggs.update(total_amount=exact.sum(), first_value=exact.sum(where=tx.in_first_period))
    cust = tx.group_by("customer_id").aggregate(**aggs)
    # The first and last purchase periods are those of the first and last purchase (truncation
    # is monotone).
    cust = cust.mutate(first_period=cust.first_purchase.truncate(aggregate),
                       last_period=cust.last_purchase.truncate(aggregate))
    end = ibis.literal(end_period, type="timestamp")
    cols = dict(
        customer_id=cust.customer_id,
        frequency=(cust.n_periods - 1).cast("float64"),
        recency=_duration(cust.first_period, cust.last_period, aggregate, unit),
        T=_duration(cust.first_period, end, aggregate, unit),
    )
    if has_amount:
        repeats = cust.n_periods - 1
        cols["monetary_value"] = (repeats > 0).ifelse(
            _as_float(_exact_difference(cust.total_amount, cust.first_value))
            / repeats.cast("float64"), 0.0)
    if regularity:
        cols["litt"] = _as_float(cust.litt)
    cols.update(first_purchase=cust.first_purchase, last_purchase=cust.last_purchase,
                n_transactions=cust.n_transactions.cast("int64"))
    if has_amount:
        cols["total_amount"] = _as_float(cust.total_amount)
    return cust.select(**cols)


def _summary_expr(t, *, obs_end, cal_end, aggregate, unit, has_amount, regularity=False):
    """The whole summary as one Ibis expression (runs unchanged on DuckDB and PySpark).

    ``obs_end`` and ``cal_end`` (or None) are ``(given, last included instant)`` pairs: rows are
    cut at the instant, periods are those holding the given bound (the same period).
    """
    import ibis

    (obs_end, obs_last) = obs_end
    cal_end, cal_last = cal_end if cal_end is not None else (None, None)
    valid = t.filter(t.customer_id.notnull(), t.date.notnull(), t.date <= obs_last)
    reg_unit = unit if regularity else None
    if cal_end is None:
        flagged = _flag_periods(valid, aggregate, [valid.customer_id], reg_unit)
        return _customer_stats(flagged, _period_start(obs_end, aggregate), aggregate, unit,
                               has_amount, regularity).order_by("customer_id")
    # One window for both parts: each customer's calibration and holdout transactions are
    # ordered (and their periods counted) separately, as lifetimes counts holdout periods
    # among the holdout transactions only.
    valid = valid.mutate(holdout=valid.date > cal_last)
    flagged = _flag_periods(valid, aggregate, [valid.customer_id, valid.holdout], reg_unit)
    cal = _customer_stats(flagged.filter(~flagged.holdout), _period_start(cal_end, aggregate),
                          aggregate, unit, has_amount, regularity)
    hold_tx = flagged.filter(flagged.holdout)
    hold = hold_tx.group_by(hold_id=hold_tx.customer_id).aggregate(
        frequency_holdout=hold_tx.new_period.sum(),
        # lifetimes: the mean of the raw holdout transactions (not of period sums).
        **({"monetary_value_holdout": _as_float(_exact(hold_tx.amount).sum())
            / hold_tx.count().cast("float64"),
            # the holdout spend itself: frequency_holdout counts periods, so frequency_holdout
            # x monetary_value_holdout misses a period's second purchase
            "total_amount_holdout": _as_float(_exact(hold_tx.amount).sum())}
           if has_amount else {}))
    joined = cal.left_join(hold, cal.customer_id == hold.hold_id)
    duration = _scalar_duration(_period_start(cal_end, aggregate),
                                _period_start(obs_end, aggregate), aggregate, unit)
    extra = dict(frequency_holdout=joined.frequency_holdout.fill_null(0).cast("float64"))
    if has_amount:
        extra["monetary_value_holdout"] = joined.monetary_value_holdout.fill_null(0.0)
        extra["total_amount_holdout"] = joined.total_amount_holdout.fill_null(0.0)
    extra["duration_holdout"] = ibis.literal(duration, type="float64")
    return joined.select(*cal.columns, **extra).order_by("customer_id")


def _data_errors() -> tuple[type[BaseException], ...]:
    """The engine exceptions that mean "these values cannot be converted or computed": a cast
    that fails, a value out of range. Anything else (a wrong engine, a bug, a lost
    connection, out of memory) propagates unchanged."""
    types: list[type[BaseException]] = []
    try:
        import duckdb

        types += [duckdb.ConversionException, duckdb.InvalidInputException,
                  duckdb.OutOfRangeException, duckdb.TypeMismatchException]
    except ImportError:  # pragma: no cover - duckdb is a core dependency
        pass
    try:
        from pyspark.errors import (ArithmeticException, DateTimeException,
                                    NumberFormatException, SparkRuntimeException)

        types += [ArithmeticException, DateTimeException, NumberFormatException,
                  SparkRuntimeException]
    except ImportError:  # PySpark is optional
        pass
    return tuple(types)


def _execute(expr, engine, source: str = "the transaction log"):
    backend = engine if engine is not None else expr.get_backend()
    try:
        if getattr(backend, "name", None) == "duckdb":
            # Arrow straight to pandas, once: Ibis's own DuckDB result conversion costs ~0.4 s
            # more on a million customers. _to_frame fixes the dtypes either way.
            return backend.to_pyarrow(expr).to_pandas()
        return backend.execute(expr)
    except _data_errors() as exc:
        raise DataError(
            f"{source}: the query engine could not summarise the log ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). Check the column types, or read "
            "the log with crmlab.read_transactions, which parses and cleans them."
        ) from None


def _check_input(stats, source, bound, name="observation_end"):
    given, last = bound
    if stats["rows"] == 0 or pd.isna(stats["first_date"]):
        raise DataError(f"{source}: the transaction log is empty (no row with a date).")
    if stats["first_date"] > last:
        raise DataError(
            f"{source}: {name} {_show(given)} is before the first transaction "
            f"({pd.Timestamp(stats['first_date'])}); choose a later {name}."
        )
    if stats.get("null_amount"):
        raise DataError(
            f"{source}: column amount is missing in {stats['null_amount']:,} transactions; fill or "
            "drop them (crmlab.read_transactions reports and drops them), or drop the amount "
            "column to summarise without monetary values."
        )
    if stats.get("bad_amount"):
        raise DataError(
            f"{source}: column amount is not a finite number below {AMOUNT_LIMIT:.0e} in "
            f"magnitude in {stats['bad_amount']:,} transactions (NaN, infinite or huge); fix or "
            "drop them. Amounts are summed exactly as decimals with "
            f"{AMOUNT_SCALE} decimal places."
        )


def _report(stats, source, end_name, given):
    notes = []
    if stats["null_customer"]:
        notes.append(f"{stats['null_customer']:,} transactions without customer_id were dropped")
    if stats["null_date"]:
        notes.append(f"{stats['null_date']:,} transactions without date were dropped")
    if stats["after_end"]:
        whole = " (the whole day included)" if given == given.normalize() else ""
        notes.append(f"{stats['after_end']:,} transactions after {end_name} {_show(given)}"
                     f"{whole} were excluded")
    if notes:
        warnings.warn(f"{source}: " + "; ".join(notes) + ".", UserWarning, stacklevel=3)


def summarise(tx, *, observation_end, calibration_end=None, time_unit="D", aggregate="D",
              regularity=False, engine=None, customer=None, date=None, amount=None,
              encoding=None, date_format=None) -> pd.DataFrame:
    """Summarise a transaction log into one row per customer (BTYD statistics).

    Parameters
    ----------
    tx : crmlab.Transactions, pandas.DataFrame, str or Path, or ibis Table
        The log, with columns ``customer_id``, ``date`` and optionally ``amount`` (or name
        them with ``customer=``, ``date=``, ``amount=``). A file is read as
        :func:`crmlab.read_transactions` reads it (see Notes): CSV/TSV/TXT (UTF-8 with or
        without BOM, GB18030/GBK, ...), Excel or Parquet, with the same column detection
        (e.g. 会员号, 下单时间, 实付金额). A Parquet directory or glob is streamed as well. An
        Ibis table runs on its own backend (DuckDB, PySpark, ...).
    observation_end : date-like
        End of the observation period, inclusive. A date (or a Timestamp at midnight) means
        the whole day: every transaction on that day counts, whatever its time. A time of day
        (``"2024-12-31 18:00"``) is taken as given. Later transactions are excluded; their
        number is in ``attrs["excluded_after_end"]`` and a warning says so.
    calibration_end : date-like, optional
        End of the calibration period, inclusive, read as ``observation_end`` is (a date is
        the whole day). When given, frequency, recency, T,
        monetary_value and the purchase columns describe the calibration period, only customers
        whose first purchase is on or before it are kept, and the holdout columns describe
        ``(calibration_end, observation_end]``.
    time_unit : {"D", "W", "M"}
        Unit of recency, T and duration_holdout. With a finer ``aggregate`` durations are
        fractional: weeks are days / 7, months are days / (365.25 / 12) = days / 30.4375 (the
        mean Gregorian month). When ``aggregate == time_unit`` they are whole periods.
    aggregate : {"D", "W", "M"}
        Purchases of one customer within one period (day, Monday-Sunday week, calendar month)
        count as one purchase, and their amounts are summed.
    regularity : bool
        Add ``litt``, for the regularity models (BG/CNBD-k, MBG/CNBD-k; Platzer & Reutterer
        2016): the sum over a customer's calibration purchases of the log of the time between
        consecutive purchase periods (after merging by ``aggregate``), in ``time_unit``; 0
        for customers without repeats. Each log is rounded to 12 decimals and the sum is
        exact, so ``litt`` is the same in every run and partitioning.
    engine : None, "duckdb" or an Ibis connection
        Where to compute for pandas and path inputs. None is a fresh embedded DuckDB whose
        memory is capped at 650 MB (spilling to a temporary folder beyond it;
        ``CRMLAB_DUCKDB_MEMORY_LIMIT`` overrides the cap). An Ibis table always runs on its
        own backend.
    customer, date, amount : str, optional
        Source column names, as for :func:`crmlab.read_transactions` (for a file, found
        automatically when omitted; for a frame or Ibis table, renamed to the standard names).
    encoding, date_format : str, optional
        For files, as for :func:`crmlab.read_transactions`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), with ``frequency``, ``recency``, ``T`` and
        ``monetary_value`` exactly as lifetimes' ``summary_data_from_transaction_data`` with
        ``freq=aggregate`` when ``time_unit == aggregate`` (monetary_value: mean of the repeat
        period sums, 0 without repeats); ``first_purchase``, ``last_purchase`` (raw timestamps),
        ``n_transactions`` (rows, before merging) and ``total_amount``. With ``calibration_end``
        also, as lifetimes' ``calibration_and_holdout_data``: ``frequency_holdout`` (periods
        with purchases in the holdout), ``monetary_value_holdout`` (mean of the raw holdout
        transactions, 0 if none), ``total_amount_holdout`` (their sum: the holdout spend) and
        ``duration_holdout``. Without an amount column there are no monetary columns
        (``monetary_value``, ``total_amount``, ``monetary_value_holdout``,
        ``total_amount_holdout``).
        With ``regularity=True`` also ``litt``. ``attrs`` holds ``time_unit``, ``aggregate``,
        ``observation_end``, ``calibration_end`` (as given: a midnight Timestamp is a whole
        day), ``has_monetary``, ``source``, ``rows_read``, ``excluded_after_end``,
        ``dropped_null_customer``, ``dropped_null_date``, ``regularity`` and ``ledger``: the
        :class:`crmlab.io.Ledger` of the rows read (for a file or a Transactions; None for a
        frame or Ibis table).

    Notes
    -----
    Files. DuckDB streams a file without loading it into pandas when it can read it exactly
    as :func:`crmlab.read_transactions` does: Parquet, or a comma- or tab-separated UTF-8
    CSV/TSV whose header is on the first line, whose dates DuckDB parses as naive ISO (or
    other year-first) timestamps or dates and whose amounts as plain numbers, with no
    ``date_format``. Ids stay text (``"00123"``; in a CSV they are
    stripped and "", "NULL", "nan" ... are missing; in Parquet only nulls are), and the
    reader's row policy applies in the query: rows without a customer id, a date or a numeric amount, and
    negative amounts (returns), are dropped and counted in ``attrs["ledger"]``. (Warnings about
    kept rows, such as duplicates, are not counted on this route.) Anything else (a GBK
    file, Excel, day/month dates such as 01/02/2023, time zones, amounts written as
    "¥1,200", ";"-separated files and decimal commas, title rows) is read by :func:`crmlab.read_transactions` in memory and
    then summarised, so both routes give the same numbers; for a file too large for memory,
    convert it to UTF-8 CSV with ISO dates, or to Parquet, first.

    Differences from lifetimes: transactions after ``observation_end`` are dropped by their
    timestamp, whereas lifetimes keeps those that fall in the same period as
    ``observation_end``; lifetimes' ``freq="M"`` fails on pandas 3, crmlab's works.

    Amounts are summed exactly as decimals (9 decimal places) and converted to float64 at the
    end, so the result is bit-for-bit the same in every run, whatever the number of threads or
    partitions (see the module docstring); it differs from lifetimes' float sums by rounding
    only (~1e-16 relative).

    Raises
    ------
    ParameterError
        Unknown unit, ``calibration_end >= observation_end``, unusable dates or engine.
    DataError
        Missing columns, ``observation_end`` before the first transaction, timezone-aware and
        naive dates mixed, missing amounts, NaN, infinite or huge (>= 1e20) amounts,
        unparseable dates.
    """
    unit = check_unit(time_unit, "time_unit")
    agg = check_unit(aggregate, "aggregate")
    inp = _prepare(tx, engine, "summarise", dict(customer=customer, date=date, amount=amount,
                                                 encoding=encoding, date_format=date_format))
    obs = _timestamp(observation_end, "observation_end", inp)
    cal = None
    if calibration_end is not None:
        cal = _timestamp(calibration_end, "calibration_end", inp)
        if cal[1] >= obs[1]:
            raise ParameterError(
                f"calibration_end ({_show(cal[0])}) must be before observation_end "
                f"({_show(obs[0])}); the holdout period is (calibration_end, observation_end]."
            )
    t = inp.table
    stats = _input_stats(t, obs[1], inp)
    t = _apply_policy(t, inp, stats)
    _check_input(stats, inp.source, obs)
    if cal is not None and stats["first_date"] > cal[1]:
        raise DataError(
            f"{inp.source}: calibration_end {_show(cal[0])} is before the first transaction "
            f"({pd.Timestamp(stats['first_date'])}); no customer is in the calibration period."
        )
    _report(stats, inp.source, "observation_end", obs[0])

    expr = _summary_expr(t, obs_end=obs, cal_end=cal, aggregate=agg, unit=unit,
                         has_amount=inp.has_amount, regularity=regularity)
    out = _to_frame(_execute(expr, inp.engine, inp.source))
    out.attrs.update(
        time_unit=unit, aggregate=agg, observation_end=obs[0],
        calibration_end=None if cal is None else cal[0],
        has_monetary=inp.has_amount, source=inp.source, rows_read=stats["rows"],
        excluded_after_end=stats["after_end"], dropped_null_customer=stats["null_customer"],
        dropped_null_date=stats["null_date"], regularity=bool(regularity), ledger=inp.ledger,
    )
    return out


def _input_stats(t, obs_end, inp):
    """Counts the user must hear about, in one aggregate query over the input."""
    import ibis

    one, zero = ibis.literal(1), ibis.literal(0)
    valid = t.customer_id.notnull() & t.date.notnull()
    aggs = dict(rows=t.count(),
                null_customer=t.customer_id.isnull().ifelse(one, zero).sum(),
                null_date=t.date.isnull().ifelse(one, zero).sum())
    if inp.policy:
        # read_transactions' row policy (see _Input): counted in the order it drops rows.
        aggs["unparseable_date"] = (t.customer_id.notnull() & t.date.isnull()
                                    ).ifelse(one, zero).sum()
        if inp.has_amount:
            no_amount = t.amount.isnull() | t.amount.isnan()
            aggs["non_numeric_amount"] = (valid & no_amount).ifelse(one, zero).sum()
            aggs["negative_amount"] = (valid & ~no_amount & (t.amount < 0)
                                       ).ifelse(one, zero).sum()
            valid = valid & ~no_amount & (t.amount >= 0)
    aggs.update(after_end=(valid & (t.date > obs_end)).ifelse(one, zero).sum(),
                first_date=t.date.min(where=valid),
                last_date=t.date.max(where=valid))
    if inp.has_amount:
        kept = valid & (t.date <= obs_end)
        aggs["null_amount"] = (kept & t.amount.isnull()).ifelse(one, zero).sum()
        # NaN, infinite or too large to be summed exactly (NaN sorts above every number in
        # DuckDB and Spark, so the comparison catches it too).
        aggs["bad_amount"] = (kept & (t.amount.isnan() | (t.amount.abs() >= AMOUNT_LIMIT))
                              ).ifelse(one, zero).sum()
    return _clean_stats(_execute(t.aggregate(**aggs), inp.engine, inp.source).iloc[0], aggs)


def _apply_policy(t, inp, stats):
    """The rows read_transactions would keep (``inp.policy``), and the ledger saying so."""
    if not inp.policy:
        return t
    ledger = inp.ledger
    ledger.rows_read = stats["rows"]
    for reason, key in (("missing_customer_id", "null_customer"),
                        ("unparseable_date", "unparseable_date"),
                        ("non_numeric_amount", "non_numeric_amount"),
                        ("negative_amount", "negative_amount")):
        if stats.get(key):
            ledger.dropped[reason] = stats[key]
    ledger.rows_kept = ledger.rows_read - ledger.rows_dropped
    stats["null_customer"] = stats["null_date"] = 0  # in the ledger, like read_transactions
    keep = t.customer_id.notnull() & t.date.notnull()
    if inp.has_amount:
        keep = keep & t.amount.notnull() & ~t.amount.isnan() & (t.amount >= 0)
    return t.filter(keep)


def _clean_stats(row, aggs):
    out = {}
    for k in aggs:
        v = row[k]
        if k in ("first_date", "last_date"):
            out[k] = pd.Timestamp(v) if pd.notna(v) else pd.NaT
        else:
            out[k] = 0 if pd.isna(v) else int(v)
    return out


def _to_frame(df: pd.DataFrame) -> pd.DataFrame:
    df = df.set_index("customer_id")
    df.index = df.index.astype("str")
    df.index.name = "customer_id"
    for c in ("first_purchase", "last_purchase"):
        if c in df:
            df[c] = pd.to_datetime(df[c]).astype("datetime64[us]")
    return df


# --------------------------------------------------------------------------------------------
# compress
# --------------------------------------------------------------------------------------------

def compress(summary: pd.DataFrame) -> pd.DataFrame:
    """Collapse a summary into its unique (frequency, recency, T) patterns with ``weights``.

    Customers with the same calibration statistics have the same likelihood, so fitters can
    work on the patterns and weight each by its count: on large logs this is far fewer rows.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`summarise` (any frame with frequency, recency and T). Columns
        ``litt`` (``summarise(..., regularity=True)``, for the CNBD-k models) and ``n_periods``
        (discrete-time models) are kept as part of the pattern when present: patterns are then
        (x, t_x, T, litt).

    Returns
    -------
    pandas.DataFrame
        One row per unique pattern, columns ``frequency``, ``recency``, ``T`` [, ``litt``]
        [, ``n_periods``]
        and ``weights`` (int64 counts summing to the number of customers), sorted by the
        pattern, with the same ``attrs`` as ``summary``.
    """
    if not isinstance(summary, pd.DataFrame):
        raise ParameterError(
            f"compress expects the DataFrame returned by crmlab.summarise, got {type(summary).__name__}."
        )
    keys = list(PATTERN_COLUMNS) + [c for c in OPTIONAL_PATTERN_COLUMNS if c in summary.columns]
    missing = [c for c in keys if c not in summary.columns]
    if missing:
        raise DataError(
            f"compress: the summary lacks column(s) {', '.join(missing)}; found "
            f"{', '.join(map(str, summary.columns))}. Build it with crmlab.summarise."
        )
    out = (summary.groupby(keys, sort=True, dropna=False).size()
           .rename("weights").astype("int64").reset_index())
    out.attrs = dict(summary.attrs)
    return out


# --------------------------------------------------------------------------------------------
# RFM base table
# --------------------------------------------------------------------------------------------

def rfm_table(tx, *, analysis_date, monetary="total", engine=None) -> pd.DataFrame:
    """The course RFM base table: one row per customer with recency, frequency and monetary.

    Parameters
    ----------
    tx : crmlab.Transactions, pandas.DataFrame, str or Path, or ibis Table
        As for :func:`summarise`.
    analysis_date : date-like
        The day of the analysis, inclusive: a date means the whole day, a time of day is taken
        as given (as ``observation_end`` in :func:`summarise`). Later transactions are
        excluded (counted in ``attrs["excluded_after_end"]``).
    monetary : {"total", "mean"}
        Monetary as the total amount of the customer's transactions, or their mean.
    engine : None, "duckdb" or an Ibis connection
        As for :func:`summarise`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``recency`` (whole days from the day of the last purchase
        to ``analysis_date``), ``frequency`` (number of transactions, every row counts) and
        ``monetary`` (absent when the log has no amount). ``attrs``: ``analysis_date``,
        ``recency_unit`` ("D"), ``monetary`` and ``has_monetary``.

    Notes
    -----
    This is the RFM of the marketing textbooks (最近一次购买, 购买频率, 购买金额), not the BTYD
    statistics of :func:`summarise`: here recency is the time *since* the last purchase
    (small is good) whereas BTYD recency is the time from the first to the last purchase
    (large is good); frequency counts every transaction, including the first and several on
    one day, whereas BTYD frequency counts repeat purchase periods; monetary is the total (or
    mean) of all purchases, whereas BTYD monetary_value averages repeat purchases only.

    Amounts are summed exactly as decimals, as in :func:`summarise`, so the table is
    bit-for-bit reproducible; the mean is that exact total divided by ``frequency``.
    """
    if monetary not in ("total", "mean"):
        raise ParameterError(f"monetary={monetary!r}; use 'total' or 'mean'.")
    inp = _prepare(tx, engine, "rfm_table")
    when, last = _timestamp(analysis_date, "analysis_date", inp)
    t = inp.table
    stats = _input_stats(t, last, inp)
    t = _apply_policy(t, inp, stats)
    _check_input(stats, inp.source, (when, last), name="analysis_date")
    _report(stats, inp.source, "analysis_date", when)

    import ibis

    valid = t.filter(t.customer_id.notnull(), t.date.notnull(), t.date <= last)
    aggs = dict(last_day=valid.date.max(), frequency=valid.count())
    if inp.has_amount:
        aggs["monetary"] = _exact(valid.amount).sum()
    cust = valid.group_by("customer_id").aggregate(**aggs)
    day = ibis.literal(when.normalize(), type="timestamp")
    cols = dict(customer_id=cust.customer_id,
                recency=((day.epoch_seconds().cast("int64")
                          - cust.last_day.truncate("D").epoch_seconds().cast("int64"))
                         // _SECONDS_PER_DAY).cast("int64"),
                frequency=cust.frequency.cast("int64"))
    if inp.has_amount:
        total = _as_float(cust.monetary)
        cols["monetary"] = total if monetary == "total" else total / cust.frequency.cast("float64")
    out = _to_frame(_execute(cust.select(**cols).order_by("customer_id"), inp.engine, inp.source))
    out.attrs.update(analysis_date=when, recency_unit="D", monetary=monetary,
                     has_monetary=inp.has_amount, source=inp.source,
                     excluded_after_end=stats["after_end"],
                     dropped_null_customer=stats["null_customer"],
                     dropped_null_date=stats["null_date"], ledger=inp.ledger)
    return out
