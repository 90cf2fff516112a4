"""Reading and validating transaction logs.

:func:`read_transactions` turns a CSV/TSV, Excel, Parquet file or a pandas frame into clean
:class:`Transactions`: a frame with ``customer_id``, ``date`` and (when the log has values)
``amount``, plus a :class:`Ledger` that accounts for every row read. Rows are dropped only for a
named reason, and counted; ``rows_read == rows_kept + sum(dropped.values())`` always holds.

Chinese exports are the common case: GB18030/GBK files are detected, the usual Chinese headers
(客户编号, 交易日期, 实付金额, ...) are recognised, and a title row above the header of an Excel
sheet is skipped.
"""

from __future__ import annotations

import csv
import io as _io
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import i18n
from .errors import DataError, ParameterError, format_rows

# Header names recognised without keyword arguments, compared case-insensitively after removing
# spaces, underscores and hyphens. Order matters: the first match wins.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id", "customerid", "customer", "cust", "cust_id", "client_id", "clientid",
        "user_id", "userid", "member_id", "memberid", "buyer_id",
        "客户编号", "客户id", "客户代码", "会员号", "会员编号", "会员id", "用户id", "顾客编号",
        "顾客id", "客户号", "客户",
    ),
    "date": (
        "date", "order_date", "transaction_date", "purchase_date", "invoice_date", "datetime",
        "timestamp", "order_time", "invoicedate",
        "日期", "交易日期", "下单时间", "订单日期", "购买日期", "交易时间", "下单日期", "消费日期",
        "订单时间",
    ),
    "amount": (
        "amount", "sales", "revenue", "value", "monetary", "monetary_value", "amt", "total",
        "dollar_value", "order_value", "spend", "payment",
        "金额", "交易金额", "实付金额", "订单金额", "消费金额", "销售额", "支付金额", "实收金额",
    ),
}

DROP_REASONS = (
    "missing_customer_id",
    "unparseable_date",
    "non_numeric_amount",
    "negative_amount",
    "exact_duplicate",
)
RETURNS_POLICIES = ("drop", "keep", "error")
DUPLICATES_POLICIES = ("keep", "drop")

# Candidate date formats, tried in order on text dates. "%m/%d/%Y" precedes "%d/%m/%Y": when a
# column parses both ways the US reading is kept and a warning is recorded.
DATE_FORMATS = (
    "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S",
    "%Y/%m/%d", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d", "%Y.%m.%d",
    "%Y年%m月%d日", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
    "%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y", "%d.%m.%Y",
    "ISO8601",
)

i18n.register({
    "ledger.rows_read": {"zh": "读取行数", "en": "Rows read"},
    "ledger.rows_kept": {"zh": "保留行数", "en": "Rows kept"},
    "ledger.missing_customer_id": {"zh": "缺失客户编号", "en": "Missing customer id"},
    "ledger.unparseable_date": {"zh": "日期无法解析", "en": "Unparseable date"},
    "ledger.non_numeric_amount": {"zh": "金额非数值", "en": "Non-numeric amount"},
    "ledger.negative_amount": {"zh": "负金额（退货）", "en": "Negative amount (return)"},
    "ledger.exact_duplicate": {"zh": "完全重复行", "en": "Exact duplicate row"},
    "ledger.zero_amount": {"zh": "零金额行（保留）", "en": "Zero-amount rows (kept)"},
    "ledger.exact_duplicates_kept": {"zh": "完全重复行（保留）", "en": "Exact duplicates (kept)"},
    "ledger.negative_amount_kept": {"zh": "负金额行（保留）", "en": "Negative amounts (kept)"},
    "ledger.ambiguous_day_month": {"zh": "日/月顺序不明确", "en": "Ambiguous day/month order"},
    "ledger.timezone_converted": {"zh": "时区已转换为 UTC", "en": "Time zone converted to UTC"},
    "ledger.dropped": {"zh": "剔除：", "en": "Dropped: "},
    "ledger.customers": {"zh": "客户数", "en": "Customers"},
    "ledger.item": {"zh": "项目", "en": "Item"},
    "ledger.count": {"zh": "行数", "en": "Rows"},
})


@dataclass
class Ledger:
    """What happened to every row of a transaction log.

    Attributes
    ----------
    source : str
        The file name (or ``"<DataFrame>"``).
    rows_read, rows_kept : int
        Data rows read, and rows in the clean frame.
    dropped : dict
        Reason → number of rows dropped. Reasons are those in ``DROP_REASONS``.
    warnings : dict
        Counted but kept: ``exact_duplicates_kept``, ``zero_amount``, ``negative_amount_kept``,
        ``ambiguous_day_month`` ...
    examples : dict
        Reason → up to 5 example row numbers (file line numbers, header = line 1).
    columns : dict
        Which source column became ``customer_id``, ``date`` and ``amount``.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    date_format: str | None = None

    @property
    def rows_dropped(self) -> int:
        return int(sum(self.dropped.values()))

    @property
    def balanced(self) -> bool:
        """True when rows read equal rows kept plus rows dropped (always, by construction)."""
        return self.rows_read == self.rows_kept + self.rows_dropped

    def to_frame(self, lang: str = "en") -> pd.DataFrame:
        """The ledger as a two-column table (item, rows), labelled in ``lang``."""
        items = [("rows_read", self.rows_read)]
        items += [(k, v) for k, v in self.dropped.items()]
        items += [(k, v) for k, v in self.warnings.items()]
        items += [("rows_kept", self.rows_kept)]
        return pd.DataFrame(
            {
                i18n.t("ledger.item", lang): [i18n.t(f"ledger.{k}", lang) for k, _ in items],
                i18n.t("ledger.count", lang): [int(v) for _, v in items],
            }
        )

    def to_dict(self) -> dict:
        return {
            "source": self.source, "rows_read": self.rows_read, "rows_kept": self.rows_kept,
            "dropped": dict(self.dropped), "warnings": dict(self.warnings),
            "columns": dict(self.columns), "encoding": self.encoding,
            "date_format": self.date_format,
        }

    def __str__(self) -> str:
        lines = [f"{self.source}: {self.rows_read:,} rows read, {self.rows_kept:,} kept"]
        for reason, n in self.dropped.items():
            ex = self.examples.get(reason)
            where = f" ({format_rows(ex)})" if ex else ""
            lines.append(f"  dropped {n:,} × {reason}{where}")
        for name, n in self.warnings.items():
            ex = self.examples.get(name)
            where = f" ({format_rows(ex)})" if ex else ""
            lines.append(f"  warning {n:,} × {name}{where}")
        return "\n".join(lines)


@dataclass
class Transactions:
    """A clean transaction log and the ledger of how it was made.

    ``frame`` has ``customer_id`` (str), ``date`` (datetime64, tz-naive), ``amount`` (float64, only
    when the log has values) and any extra source columns. ``meta`` carries facts about the data
    set (for example a documented calibration/holdout split).
    """

    frame: pd.DataFrame
    ledger: Ledger
    meta: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.ledger.source

    @property
    def has_amount(self) -> bool:
        return "amount" in self.frame.columns

    @property
    def n_customers(self) -> int:
        return int(self.frame["customer_id"].nunique())

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        span = ""
        if len(self.frame):
            span = f", {self.frame['date'].min():%Y-%m-%d} to {self.frame['date'].max():%Y-%m-%d}"
        return (
            f"Transactions({self.source!r}: {len(self.frame):,} rows, "
            f"{self.n_customers:,} customers{span}, amount={'yes' if self.has_amount else 'no'})"
        )


# --------------------------------------------------------------------------------------------
# reading


def read_transactions(
    source,
    *,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    date_format: str | None = None,
    returns: str = "drop",
    duplicates: str = "keep",
) -> Transactions:
    """Read a transaction log and validate it.

    Parameters
    ----------
    source : str, Path or pandas.DataFrame
        A CSV/TSV/TXT, Excel (``.xlsx``/``.xlsm``) or Parquet file, or a frame.
    customer, date, amount : str, optional
        Source column names. When omitted they are found by name, case-insensitively, among
        ``COLUMN_ALIASES`` (including 客户编号/客户ID/会员号, 日期/交易日期/下单时间,
        金额/交易金额/实付金额). ``amount`` may be absent altogether: event logs without values
        give a frame without an ``amount`` column.
    encoding : str, optional
        Text encoding. By default UTF-8 (with or without BOM) is tried, then GB18030 (a superset
        of GBK and GB2312).
    sheet : str or int, optional
        Excel sheet name or index (default: the first).
    date_format : str, optional
        A ``strptime`` format. By default the format is inferred; a column mixing formats is an
        error rather than a silent guess.
    returns : {"drop", "keep", "error"}
        Policy for negative amounts (returns): drop and count them, keep them, or raise.
    duplicates : {"keep", "drop"}
        Exact duplicate rows are kept by default (the published CDNOW analyses keep CDNOW's 255)
        and counted as a warning; ``"drop"`` drops and counts them.

    Returns
    -------
    Transactions

    Raises
    ------
    crmlab.errors.DataError
        For unusable input. The message names the file, the column, example rows and the fix.
    """
    if returns not in RETURNS_POLICIES:
        raise ParameterError(f"returns={returns!r}: use one of {', '.join(RETURNS_POLICIES)}.")
    if duplicates not in DUPLICATES_POLICIES:
        raise ParameterError(
            f"duplicates={duplicates!r}: use one of {', '.join(DUPLICATES_POLICIES)}."
        )
    raw, name, offset, used_encoding = _read_raw(source, encoding=encoding, sheet=sheet,
                                                 wanted=(customer, date, amount))
    ledger = Ledger(source=name, encoding=used_encoding)
    cols = _resolve_columns(raw, name, customer=customer, date=date, amount=amount)
    ledger.columns = {k: v for k, v in cols.items() if v is not None}
    frame = _clean(raw, cols, ledger, offset=offset, date_format=date_format,
                   returns=returns, duplicates=duplicates)
    ledger.rows_kept = len(frame)
    assert ledger.balanced, ledger  # an accounting bug, never a user error
    meta = {"path": str(Path(source).resolve())} if isinstance(source, (str, Path)) else {}
    return Transactions(frame=frame, ledger=ledger, meta=meta)


def _read_raw(source, *, encoding, sheet, wanted):
    """Load the source into an all-text (or native) frame.

    Returns ``(frame, display name, row offset, encoding)``; ``row offset`` turns a 0-based data
    position into the row number a user sees in the file (header line = 1).
    """
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise DataError("the DataFrame passed to read_transactions has no rows.")
        return source.reset_index(drop=True), "<DataFrame>", 0, None
    if isinstance(source, Transactions):
        return source.frame.reset_index(drop=True), source.source, 0, None
    if not isinstance(source, (str, Path)):
        raise DataError(
            f"read_transactions got a {type(source).__name__}; pass a file path "
            "(CSV, TSV, Excel or Parquet) or a pandas DataFrame."
        )
    path = Path(source)
    name = path.name
    if not path.exists():
        raise DataError(f"{path}: file not found. Check the path (it is relative to "
                        f"{Path.cwd()}).")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; pass the transaction file inside it.")
    if path.stat().st_size == 0:
        raise DataError(f"{name}: the file is empty. Export the transactions again.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return (*_read_excel(path, sheet=sheet, wanted=wanted), None)
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types
            raise DataError(f"{name}: not a readable Parquet file ({type(exc).__name__}). "
                            "Check that the export finished, or export as CSV.") from None
        if frame.empty:
            raise DataError(f"{name}: the Parquet file has no rows.")
        return frame, name, 2, None
    return _read_text(path, encoding=encoding, wanted=wanted)


def _decode(path: Path, encoding: str | None) -> tuple[str, str]:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise DataError(
            f"{path.name}: this is not a text table (it contains binary data). Pass a CSV, "
            "Excel (.xlsx) or Parquet file; for Excel, keep the .xlsx extension."
        )
    candidates = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for enc in candidates:
        try:
            return data.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except (UnicodeDecodeError, LookupError) as exc:
            if encoding:
                raise DataError(
                    f"{path.name}: cannot be decoded as {encoding!r} ({exc.__class__.__name__} "
                    "at byte " + str(getattr(exc, "start", "?")) + "). Leave encoding=None to "
                    "detect UTF-8 or GB18030/GBK, or name the right encoding."
                ) from None
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DataError(f"{path.name}: the text encoding could not be detected. Save the file "
                        "as UTF-8, or pass encoding='...'.")
    return str(best), best.encoding


def _read_text(path: Path, *, encoding, wanted):
    text, used = _decode(path, encoding)
    if not text.strip():
        raise DataError(f"{path.name}: the file has no data, only white space.")
    lines = text.splitlines()
    sample = "\n".join(lines[:50])
    if path.suffix.lower() == ".tsv":
        sep = "\t"
    else:
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
        except csv.Error:
            sep = r"\s+" if re.search(r"\S\s+\S", lines[0]) else ","
    header_line = _find_header_line(
        [re.split(sep, ln) if sep == r"\s+" else next(csv.reader([ln], delimiter=sep), [])
         for ln in lines[:20]],
        wanted,
    )
    try:
        with warnings.catch_warnings():
            # pandas only warns when rows are longer than the header, and drops the extra
            # fields: that would lose data silently, so it is an error here.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                _io.StringIO(text), sep=sep, dtype=str, skiprows=header_line,
                keep_default_na=False, na_values=[""], skipinitialspace=True, index_col=False,
                engine="python" if sep == r"\s+" else "c",
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else _first_ragged_line(lines, sep, header_line)
        where = f" at line {line}" if line else ""
        raise DataError(
            f"{path.name}: not a consistent table{where} (a row has more fields than the "
            "header). Check for unquoted separators inside values, or a footer below the data."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path.name}: the file has no columns.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataError(f"{path.name}: the file has a header but no data rows.")
    return frame, path.name, header_line + 2, used


def _first_ragged_line(lines: list[str], sep: str, header_line: int) -> int | None:
    """1-based number of the first line whose field count differs from the header's."""
    if sep == r"\s+":
        return None
    rows = csv.reader(lines[header_line:], delimiter=sep)
    width = len(next(rows, []))
    for i, row in enumerate(rows, start=header_line + 2):
        if row and len(row) != width:
            return i
    return None


def _read_excel(path: Path, *, sheet, wanted):
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:
        raise DataError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}). Save it as "
            ".xlsx from Excel or WPS, or export CSV."
        ) from None
    sheets = book.sheet_names
    if sheet is None:
        sheet = 0
    if isinstance(sheet, str) and sheet not in sheets:
        raise DataError(f"{path.name}: no sheet named {sheet!r}; sheets are {sheets}.")
    if isinstance(sheet, int) and not 0 <= sheet < len(sheets):
        raise DataError(f"{path.name}: sheet index {sheet} out of range; sheets are {sheets}.")
    grid = book.parse(sheet, header=None, dtype=object)
    grid = grid.dropna(how="all").dropna(axis=1, how="all")
    if grid.empty:
        label = sheets[sheet] if isinstance(sheet, int) else sheet
        raise DataError(f"{path.name}: sheet {label!r} has no data. Choose the sheet with "
                        f"sheet=...; sheets are {sheets}.")
    rows = [[("" if pd.isna(v) else str(v)) for v in r] for r in grid.head(20).itertuples(False)]
    header_pos = _find_header_line(rows, wanted)
    header = [str(v).strip() if not pd.isna(v) else f"unnamed_{i}"
              for i, v in enumerate(grid.iloc[header_pos])]
    frame = grid.iloc[header_pos + 1:].copy()
    frame.columns = header
    excel_row0 = int(grid.index[header_pos]) + 2  # sheet row number of the first data row
    frame = frame.reset_index(drop=True)
    if frame.empty:
        raise DataError(f"{path.name}: the sheet has a header but no data rows.")
    return frame, path.name, excel_row0


def _norm(name) -> str:
    return re.sub(r"[\s_\-]", "", str(name)).lower()


def _find_header_line(rows: list[list[str]], wanted) -> int:
    """Index of the first row that looks like the header: one naming a customer and a date
    column (known aliases or the user's names). Title rows above it are skipped; 0 if none."""
    names = {_norm(w) for w in wanted if w}
    cust = {_norm(a) for a in COLUMN_ALIASES["customer_id"]}
    dates = {_norm(a) for a in COLUMN_ALIASES["date"]}
    for i, row in enumerate(rows):
        cells = {_norm(c) for c in row if str(c).strip()}
        if names and names <= cells:
            return i
        if cells & cust and cells & dates:
            return i
    return 0


def _resolve_columns(frame: pd.DataFrame, name: str, **given) -> dict[str, str | None]:
    found = list(frame.columns)
    by_norm: dict[str, str] = {}
    for c in found:
        by_norm.setdefault(_norm(c), c)
    out: dict[str, str | None] = {}
    for role, kw in (("customer_id", "customer"), ("date", "date"), ("amount", "amount")):
        user = given[kw]
        if user is not None:
            if user in frame.columns:
                out[role] = user
            elif _norm(user) in by_norm:
                out[role] = by_norm[_norm(user)]
            else:
                raise DataError(
                    f"{name}: no column named {user!r} (given as {kw}=). Columns found: "
                    f"{', '.join(map(str, found))}. Pass one of these as {kw}=..."
                )
            continue
        match = next((by_norm[_norm(a)] for a in COLUMN_ALIASES[role] if _norm(a) in by_norm),
                     None)
        if match is None and role != "amount":
            raise DataError(
                f"{name}: no {role.replace('_', ' ')} column found. Columns found: "
                f"{', '.join(map(str, found))}. Name it with {kw}='<column>' "
                f"(recognised automatically: {', '.join(COLUMN_ALIASES[role][:6])}, ...)."
            )
        out[role] = match
    if out["customer_id"] == out["date"]:
        raise DataError(f"{name}: the same column {out['date']!r} was taken as customer and "
                        "date; name them with customer= and date=.")
    return out


# --------------------------------------------------------------------------------------------
# cleaning


def _examples(mask: np.ndarray, offset: int, index: pd.Index) -> list[int]:
    pos = np.flatnonzero(mask)[:5]
    if offset:
        return [int(p) + offset for p in pos]
    return [int(index[p]) if isinstance(index[p], (int, np.integer)) else int(p) for p in pos]


def _parse_customer(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s):
        # ids read as floats (Excel, or NaN present): 123.0 -> "123"
        as_int = s.dropna()
        if (as_int == np.floor(as_int)).all():
            return s.map(lambda v: None if pd.isna(v) else str(int(v))).astype("string")
    out = s.astype("string").str.strip()
    out = out.mask(out.isin(["", "nan", "NaN", "None", "NULL", "null"]))
    # Excel cells read as objects may be floats like "123.0"
    if out.notna().any() and out.dropna().str.fullmatch(r"\d+\.0").all():
        out = out.str.replace(r"\.0$", "", regex=True)
    return out


def _parse_amount(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    text = s.astype("string").str.strip()
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # accounting negatives (12.5)
    text = text.str.replace(r"[¥￥$€£,，\s]|元|RMB|CNY", "", regex=True)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _parse_dates(s: pd.Series, name: str, column: str, offset: int, date_format, ledger):
    """Parse a date column; returns a tz-naive datetime64 series with NaT where unparseable."""
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s
    else:
        non_null = s.notna() & (s.astype("string").str.strip() != "")
        if all(isinstance(v, pd.Timestamp) or hasattr(v, "year") for v in s[non_null].head(50)):
            # Excel cells already hold datetimes (possibly mixed with text)
            out = pd.to_datetime(s.where(s.map(lambda v: hasattr(v, "year"))), errors="coerce")
            text = None
        else:
            text = s.astype("string").str.strip()
            out = None
        if out is None:
            out = _parse_text_dates(text, non_null, name, column, offset, date_format, ledger)
    tz = getattr(out.dtype, "tz", None)
    if tz is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
        ledger.warnings["timezone_converted"] = int(out.notna().sum())
    return out.astype("datetime64[ns]")


def _parse_text_dates(text, non_null, name, column, offset, date_format, ledger):
    n = int(non_null.sum())
    if n == 0:
        raise DataError(f"{name}: column {column!r} has no dates at all. Check that the right "
                        "column is used as date=.")
    has_offset = text.str.contains(r"(?:[+-]\d\d:?\d\d|Z)$", regex=True, na=False)
    if has_offset.any() and not has_offset[non_null].all():
        aware = np.flatnonzero(has_offset.to_numpy())[:3]
        naive = np.flatnonzero((~has_offset & non_null).to_numpy())[:3]
        raise DataError(
            f"{name}: column {column!r} mixes dates with a time zone ("
            f"{format_rows([p + offset for p in aware])}) and without one ("
            f"{format_rows([p + offset for p in naive])}). Export all dates in one form."
        )
    formats = [date_format] if date_format else list(DATE_FORMATS)
    best, best_n, parsed = None, -1, {}
    for fmt in formats:
        try:
            if fmt == "ISO8601" or has_offset.any():
                p = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=has_offset.any())
            else:
                p = pd.to_datetime(text, format=fmt, errors="coerce")
        except (ValueError, TypeError):
            continue
        k = int(p.notna().sum())
        parsed[fmt] = p
        if k > best_n:
            best, best_n = fmt, k
        if k == n:
            break
    if best_n <= 0:
        rows = _examples(non_null.to_numpy(), offset, text.index)
        example = text[non_null].iloc[0]
        hint = (f"pass date_format='...' (the format {date_format!r} did not match)"
                if date_format else "pass date_format='%d/%m/%Y' or similar")
        raise DataError(
            f"{name}: no value in column {column!r} could be read as a date (for example "
            f"{example!r} at {format_rows(rows)}). Check that date= names the date column, or "
            f"{hint}."
        )
    out = parsed[best]
    if date_format is None and best_n < n:
        # A second format that reads many of the rows the best one missed means mixed formats.
        missed = out.isna() & non_null
        for fmt, p in parsed.items():
            if fmt in (best, "ISO8601"):
                continue
            rescued = int((p.notna() & missed).sum())
            if rescued >= max(2, 0.01 * n):
                a = np.flatnonzero((out.notna()).to_numpy())[:3]
                b = np.flatnonzero((p.notna() & missed).to_numpy())[:3]
                raise DataError(
                    f"{name}: column {column!r} mixes date formats: {best} "
                    f"(e.g. {format_rows([i + offset for i in a])}) and {fmt} "
                    f"(e.g. {format_rows([i + offset for i in b])}). Export the dates in one "
                    "format, or pass date_format= to read one of them and drop the rest."
                )
    if best == "%m/%d/%Y" and "%d/%m/%Y" in DATE_FORMATS and not date_format:
        alt = pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
        if int(alt.notna().sum()) == best_n and not alt.equals(out):
            ledger.warnings["ambiguous_day_month"] = best_n
    ledger.date_format = best
    return out


def _clean(raw, cols, ledger, *, offset, date_format, returns, duplicates):
    name = ledger.source
    ledger.rows_read = len(raw)
    index = raw.index
    cust = _parse_customer(raw[cols["customer_id"]])
    dates = _parse_dates(raw[cols["date"]], name, cols["date"], offset, date_format, ledger)
    keep = np.ones(len(raw), dtype=bool)

    def drop(reason: str, mask: np.ndarray) -> None:
        mask = mask & keep
        if mask.any():
            ledger.dropped[reason] = int(mask.sum())
            ledger.examples[reason] = _examples(mask, offset, index)
            keep[mask] = False

    drop("missing_customer_id", cust.isna().to_numpy())
    drop("unparseable_date", dates.isna().to_numpy())
    if not keep.any():
        raise DataError(f"{name}: no usable rows are left: {ledger.dropped}. "
                        f"Check the columns used ({ledger.columns}).")
    amount = None
    if cols["amount"] is not None:
        amount = _parse_amount(raw[cols["amount"]])
        bad = amount.isna().to_numpy()
        if (bad & keep).sum() == keep.sum():
            examples = raw[cols["amount"]][bad & keep].head(3).tolist()
            raise DataError(
                f"{name}: no value in column {cols['amount']!r} is a number (for example "
                f"{examples}). Name the amount column with amount=, or amount=None for a log "
                "without values."
            )
        drop("non_numeric_amount", bad)
        negative = (amount < 0).fillna(False).to_numpy()
        if returns == "error" and (negative & keep).any():
            rows = _examples(negative & keep, offset, index)
            raise DataError(
                f"{name}: column {cols['amount']!r} has {int((negative & keep).sum())} negative "
                f"amounts (returns) at {format_rows(rows)}. Use returns='drop' to drop and "
                "count them, or returns='keep'."
            )
        if returns == "drop":
            drop("negative_amount", negative)
        elif (negative & keep).any():
            ledger.warnings["negative_amount_kept"] = int((negative & keep).sum())
        zero = (amount == 0).fillna(False).to_numpy() & keep
        if zero.any():
            ledger.warnings["zero_amount"] = int(zero.sum())
            ledger.examples["zero_amount"] = _examples(zero, offset, index)

    dup = raw.duplicated(keep="first").to_numpy()
    if duplicates == "drop":
        drop("exact_duplicate", dup)
    elif (dup & keep).any():
        ledger.warnings["exact_duplicates_kept"] = int((dup & keep).sum())
        ledger.examples["exact_duplicates_kept"] = _examples(dup & keep, offset, index)

    extra = [c for c in raw.columns if c not in {v for v in cols.values() if v}]
    renamed = {c: (f"{c}_source" if c in ("customer_id", "date", "amount") else c) for c in extra}
    data = {"customer_id": cust[keep].to_numpy(dtype=object), "date": dates[keep].to_numpy()}
    if amount is not None:
        data["amount"] = amount[keep].to_numpy()
    frame = pd.DataFrame(data)
    frame["customer_id"] = frame["customer_id"].astype(str)
    for c in extra:
        frame[renamed[c]] = raw[c].to_numpy()[keep]
    if ledger.warnings:
        warnings.warn(
            f"{name}: kept rows with remarks: "
            + ", ".join(f"{v:,} {k}" for k, v in ledger.warnings.items())
            + " (see Transactions.ledger).",
            UserWarning,
            stacklevel=3,
        )
    return frame


def ledger_table(ledgers: Iterable[Ledger], lang: str = "en") -> pd.DataFrame:
    """Several ledgers side by side (one column per source), labelled in ``lang``."""
    frames = [lg.to_frame(lang).set_index(i18n.t("ledger.item", lang)).iloc[:, 0]
              .rename(lg.source) for lg in ledgers]
    return pd.concat(frames, axis=1).fillna(0).astype(int)
