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
    # Year last: the day/month order is the writer's convention. When a column reads both ways
    # (no day above 12) the first listed wins and the ledger flags it: month first with
    # slashes (US), day first with dots and dashes (Europe, India...).
    *(f + t for f in ("%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m.%d.%Y", "%d-%m-%Y", "%m-%d-%Y")
      for t in ("", " %H:%M", " %H:%M:%S")),
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
    "ledger.timezone_converted": {"zh": "时间已换算到指定时区（timezone=）",
                                  "en": "Times converted to the given time zone (timezone=)"},
    "ledger.timezone_local_time": {"zh": "带时区的时间（保留当地时间）",
                                   "en": "Times with a zone offset (local time kept)"},
    "ledger.timezone_other_offset": {"zh": "时区偏移与多数行不同", "en": "Offset unlike most rows"},
    "ledger.date_other_format": {"zh": "日期为第二种格式（逐行解析）",
                                 "en": "Dates in a second format (read row by row)"},
    "ledger.amount_reformatted": {"zh": "金额含货币符号或千位分隔符",
                                  "en": "Amounts with currency signs or thousands separators"},
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
    encoding, encoding_reason : str
        The text encoding used and why (byte-order mark, valid UTF-8, ..., or given).
    date_format : str
        The date format(s) used, ``" + "``-joined when a column mixes unambiguous formats.
    decimal, decimal_reason : str
        The decimal mark of text amounts (``"."`` or ``","``) and why.
    timezone : str
        The zone timestamps with an offset were converted to (``timezone=``), else None: each
        timestamp then keeps its local wall-clock time.
    """

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[int]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    encoding_reason: str | None = None
    date_format: str | None = None
    decimal: str | None = None
    decimal_reason: str | None = None
    timezone: str | None = None

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
            "encoding_reason": self.encoding_reason, "date_format": self.date_format,
            "decimal": self.decimal, "decimal_reason": self.decimal_reason,
            "timezone": self.timezone,
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


def check_balanced(ledger: Ledger) -> None:
    """Raise a DataError when rows read differ from rows kept plus rows dropped.

    An unbalanced ledger is an accounting bug in crmlab, never the user's fault, but it must
    stop the run (an ``assert`` would vanish under ``python -O``).
    """
    if not ledger.balanced:
        raise DataError(
            f"{ledger.source}: LEDGER DOES NOT ADD UP: {ledger.rows_read:,} rows read, "
            f"{ledger.rows_kept:,} kept and {ledger.rows_dropped:,} dropped "
            f"({ledger.dropped}). This is a crmlab bug: please report it with the file."
        )


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
    decimal: str | None = None,
    timezone: str | None = None,
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
        Text encoding (command line: ``--encoding``). By default it is detected: a byte-order
        mark (UTF-8, UTF-16 as in Excel's "Unicode text"), UTF-16 without a mark, UTF-8,
        GB18030 (a superset of GBK and GB2312) when the characters it yields are plausible
        Chinese, then charset-normalizer (cp1252, ...). The ledger says which and why.
    sheet : str or int, optional
        Excel sheet name or index (default: the first).
    date_format : str, optional
        A ``strptime`` format (command line: ``--date-format``). By default each date is read
        with the first of ``DATE_FORMATS`` that reads it: a column mixing unambiguous formats
        (``2024/03/05 14:22:10`` and ``2024年3月5日``) is read row by row and the dates in a
        second format are counted in the ledger; a mixture whose day/month order cannot be
        known is an error rather than a silent guess.
    returns : {"drop", "keep", "error"}
        Policy for negative amounts (returns): drop and count them, keep them, or raise.
    duplicates : {"keep", "drop"}
        Exact duplicate rows are kept by default (the published CDNOW analyses keep CDNOW's 255)
        and counted as a warning; ``"drop"`` drops and counts them.
    decimal : {".", ","}, optional
        The decimal mark of amounts written as text (command line: ``--decimal``). By default
        it is detected from the values (``12,50`` and ``1.234,56`` show a comma, ``12.50`` and
        ``1,234.56`` a point) or, when they show nothing, from a ``;`` separator. A value
        written the other way is counted as non-numeric, never rescaled.
    timezone : str, optional
        An IANA zone (``"Asia/Shanghai"``, ``"UTC"``; command line: ``--timezone``). Timestamps
        with an offset (``2024-01-01T01:00+08:00``) are converted to it. By default each keeps
        its local wall-clock time as written, so no purchase moves to another day.

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
    _check_decimal(decimal)
    timezone = _check_timezone(timezone)
    raw, name, offset, info = _read_raw(source, encoding=encoding, sheet=sheet,
                                        wanted=(customer, date, amount))
    ledger = Ledger(source=name, encoding=info.get("encoding"),
                    encoding_reason=info.get("encoding_reason"))
    cols = _resolve_columns(raw, name, customer=customer, date=date, amount=amount)
    ledger.columns = {k: v for k, v in cols.items() if v is not None}
    frame = _clean(raw, cols, ledger, offset=offset, date_format=date_format,
                   returns=returns, duplicates=duplicates, decimal=decimal,
                   sep=info.get("sep"), timezone=timezone)
    ledger.rows_kept = len(frame)
    check_balanced(ledger)
    meta = {"path": str(Path(source).resolve())} if isinstance(source, (str, Path)) else {}
    return Transactions(frame=frame, ledger=ledger, meta=meta)


def _read_raw(source, *, encoding, sheet, wanted):
    """Load the source into an all-text (or native) frame.

    Returns ``(frame, display name, row offset, info)``; ``row offset`` turns a 0-based data
    position into the row number a user sees in the file (header line = 1); ``info`` holds the
    ``encoding``, ``encoding_reason`` and field ``sep`` of a text file.
    """
    if isinstance(source, pd.DataFrame):
        if source.empty:
            raise DataError("the DataFrame passed to read_transactions has no rows.")
        return source.reset_index(drop=True), "<DataFrame>", 0, {}
    if isinstance(source, Transactions):
        return source.frame.reset_index(drop=True), source.source, 0, {}
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
        return (*_read_excel(path, sheet=sheet, wanted=wanted), {})
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises many types
            raise DataError(f"{name}: not a readable Parquet file ({type(exc).__name__}). "
                            "Check that the export finished, or export as CSV.") from None
        if frame.empty:
            raise DataError(f"{name}: the Parquet file has no rows.")
        return frame, name, 2, {}
    return _read_text(path, encoding=encoding, wanted=wanted)


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "utf-8"), (b"\xff\xfe\x00\x00", "utf-32", "utf-32"),
         (b"\x00\x00\xfe\xff", "utf-32", "utf-32"), (b"\xff\xfe", "utf-16", "utf-16"),
         (b"\xfe\xff", "utf-16", "utf-16"))


def _gb2312_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are common Chinese (in GB2312)."""
    from collections import Counter

    counts = Counter(ch for ch in text[:1_000_000] if ord(ch) > 127)
    total = sum(counts.values())
    if not total:
        return 1.0
    common = 0
    for ch, k in counts.items():
        try:
            ch.encode("gb2312")
            common += k
        except UnicodeEncodeError:
            pass
    return common / total


def _letter_share(text: str) -> float:
    """Share of the non-ASCII characters of ``text`` that are letters (names are letters)."""
    import unicodedata

    chars = [ch for ch in text[:1_000_000] if ord(ch) > 127]
    if not chars:
        return 1.0
    return sum(unicodedata.category(ch).startswith("L") for ch in chars) / len(chars)


def decode_bytes(data: bytes, name: str, encoding: str | None = None, *,
                 partial: bool = False) -> tuple[str, str, str]:
    """Decode the bytes of a text table; returns ``(text, encoding, reason)``.

    Detection order: a byte-order mark (UTF-8, UTF-16, UTF-32); UTF-16 without a mark (NUL
    bytes in every other position); then, for files without NUL bytes, strict UTF-8; GB18030
    (a superset of GBK/GB2312) when at least 90% of the non-ASCII characters it yields are common
    Chinese ones, so that cp1252 "Müller" is not read as "M黮ler"; then charset-normalizer.
    ``partial`` allows a character cut at the end of ``data`` (a file's first bytes).
    """
    def strict(enc: str) -> str:
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            if partial and exc.start >= len(data) - 4:
                return data[:exc.start].decode(enc)
            raise

    def binary_check(text: str) -> None:
        if "\x00" in text[:4096]:
            raise DataError(
                f"{name}: this is not a text table (it contains binary data). Pass a CSV, "
                "Excel (.xlsx) or Parquet file; for Excel, keep the .xlsx extension."
            )

    if encoding:
        enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        try:
            text = strict(enc)
        except (UnicodeDecodeError, LookupError) as exc:
            raise DataError(
                f"{name}: cannot be decoded as {encoding!r} ({exc.__class__.__name__} at byte "
                + str(getattr(exc, "start", "?")) + "). Leave encoding=None to detect UTF-8, "
                "UTF-16 or GB18030/GBK, or name the right encoding (command line: --encoding)."
            ) from None
        binary_check(text)
        return text.lstrip("\ufeff"), encoding, f"given as encoding={encoding!r}"
    head = data[:4096]
    for bom, enc, label in _BOMS:
        if head.startswith(bom):
            try:
                return strict(enc).lstrip("\ufeff"), label, "byte-order mark"
            except UnicodeDecodeError:
                break
    even, odd = head[0::2], head[1::2]
    if len(head) >= 8:
        zero_even = even.count(0) / max(len(even), 1)
        zero_odd = odd.count(0) / max(len(odd), 1)
        for enc, a, b in (("utf-16-le", zero_odd, zero_even), ("utf-16-be", zero_even, zero_odd)):
            if a > 0.3 and b < 0.05:
                try:
                    text = strict(enc)
                except UnicodeDecodeError:
                    break
                binary_check(text)
                return text, enc, "NUL bytes in every other position (UTF-16 without a mark)"
    binary_check(head.decode("latin-1"))
    try:
        return strict("utf-8"), "utf-8", "valid UTF-8"
    except UnicodeDecodeError:
        pass
    rejected = ""
    try:
        text = strict("gb18030")
    except UnicodeDecodeError:
        text = None
        rejected = "not valid GB18030"
    if text is not None:
        share = _gb2312_share(text)
        if share >= 0.9:
            return text, "gb18030", (f"valid GB18030/GBK; {share:.0%} of its non-ASCII "
                                     "characters are common Chinese ones")
        rejected = (f"GB18030 rejected: only {share:.0%} of its non-ASCII characters would be "
                    "common Chinese ones")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and _letter_share(str(best)) >= 0.9:
        return (str(best).lstrip("\ufeff"), best.encoding,
                f"detected by charset-normalizer ({rejected})")
    try:
        text = strict("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and _letter_share(text) >= 0.9:
        guess = f"charset-normalizer's {best.encoding} gave symbols" if best else "no guess"
        return text, "cp1252", (f"Western European (cp1252): its non-ASCII characters are "
                                f"letters ({rejected}; {guess})")
    if best is None:
        raise DataError(f"{name}: the text encoding could not be detected. Save the file "
                        "as UTF-8, or pass encoding='...' (command line: --encoding).")
    return (str(best).lstrip("\ufeff"), best.encoding,
            f"detected by charset-normalizer, uncertain: check the names ({rejected})")


def _read_text(path: Path, *, encoding, wanted):
    text, used, why = decode_bytes(path.read_bytes(), path.name, encoding)
    if not text.strip():
        raise DataError(f"{path.name}: the file has no data, only white space.")
    lines = text.splitlines()
    sep, header_line, _ = sniff_table(lines, path.suffix, wanted)
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
    return frame, path.name, header_line + 2, {"encoding": used, "encoding_reason": why,
                                               "sep": sep}


def sniff_table(lines: list[str], suffix: str, wanted=()) -> tuple[str, int, list[str]]:
    """The field separator, the header line's index and the header's fields of a text table.

    ``lines`` are the table's first lines (50 suffice); title lines above the header are
    skipped (:func:`_find_header_line`).
    """
    sample = "\n".join(lines[:50])
    if suffix.lower() == ".tsv":
        sep = "\t"
    else:
        try:
            sep = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
        except csv.Error:
            sep = r"\s+" if lines and re.search(r"\S\s+\S", lines[0]) else ","
    rows = [re.split(sep, ln.strip()) if sep == r"\s+" else next(csv.reader([ln], delimiter=sep), [])
            for ln in lines[:20]]
    header_line = _find_header_line(rows, wanted)
    header = [c.strip() for c in rows[header_line]] if rows else []
    return sep, header_line, header


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
                    f"{', '.join(map(str, found))}. Pass one of these as {kw}=... (command line: "
                    f"--{kw})."
                )
            continue
        match = next((by_norm[_norm(a)] for a in COLUMN_ALIASES[role] if _norm(a) in by_norm),
                     None)
        if match is None and role != "amount":
            raise DataError(
                f"{name}: no {role.replace('_', ' ')} column found. Columns found: "
                f"{', '.join(map(str, found))}. Name it with {kw}='<column>' (command line: "
                f"--{kw}) (recognised automatically: {', '.join(COLUMN_ALIASES[role][:6])}, "
                "...)."
            )
        out[role] = match
    if out["customer_id"] == out["date"]:
        raise DataError(f"{name}: the same column {out['date']!r} was taken as customer and "
                        "date; name them with customer= and date= (command line: --customer, "
                        "--date).")
    return out


# --------------------------------------------------------------------------------------------
# cleaning


def _examples(mask: np.ndarray, offset: int, index: pd.Index, limit: int = 5) -> list[int]:
    """Row numbers a user sees for the first ``limit`` rows of ``mask``.

    Raw frames have a 0-based position index, kept by subsets (a column's text cells among
    Excel date cells): the label, not the position within the subset, gives the row.
    """
    pos = np.flatnonzero(mask)[:limit]
    labels = [index[p] if isinstance(index[p], (int, np.integer)) else p for p in pos]
    return [int(label) + offset for label in labels]


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


DECIMALS = (".", ",")
_CURRENCY = r"[¥￥$€£]|元|RMB|CNY|USD|EUR"
_EXP = r"(?:[eE][+-]?\d+)?"
# Shapes that show the decimal mark: 12,50 · 0,5 · 1.234,56 · 1.234.567 (comma) and
# 12.50 · 0.5 · 1,234.56 · 1,234,567 (point). 1,234 and 1.234 alone show nothing.
_COMMA_DECIMAL = r"[+-]?(?:\d+,(?:\d{1,2}|\d{4,})|\d{1,3}(?:\.\d{3})+,\d*|\d{1,3}(?:\.\d{3}){2,}|,\d+)"
_POINT_DECIMAL = r"[+-]?(?:\d+\.(?:\d{1,2}|\d{4,})|\d{1,3}(?:,\d{3})+\.\d*|\d{1,3}(?:,\d{3}){2,}|\.\d+)" + _EXP
_NUMBER = {
    ".": r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?" + _EXP + r"|[+-]?\.\d+" + _EXP,
    ",": r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d*)?|[+-]?,\d+",
}


def _check_decimal(decimal):
    if decimal is not None and decimal not in DECIMALS:
        raise ParameterError(
            f"decimal={decimal!r}: use '.' (12.50) or ',' (12,50), or leave it out to detect "
            "the decimal mark (command line: --decimal ,)."
        )
    return decimal


def detect_decimal(text: pd.Series, sep: str | None = None) -> tuple[str | None, str]:
    """The decimal mark of a column of amounts written as text, and why.

    Parameters
    ----------
    text : pandas.Series of str
        Amounts with currency signs and spaces already removed.
    sep : str, optional
        The file's field separator: a ``;``-separated file writes decimal commas when the
        values themselves do not tell.

    Returns
    -------
    (mark, reason)
        ``mark`` is ``"."``, ``","``, or None when values show both (the caller refuses).
    """
    has_comma = text.str.contains(",", regex=False, na=False)
    has_point = text.str.contains(".", regex=False, na=False)
    comma = has_comma & text.str.fullmatch(_COMMA_DECIMAL, na=False)
    point = has_point & text.str.fullmatch(_POINT_DECIMAL, na=False)
    if comma.any() and point.any():
        return None, "both"
    if comma.any():
        return ",", f"values such as {text[comma].iloc[0]!r} are written with a decimal comma"
    if point.any():
        return ".", f"values such as {text[point].iloc[0]!r} are written with a decimal point"
    if sep == ";" and (has_comma | has_point).any():
        return ",", "the file is separated by ';', the convention where ',' marks decimals"
    return ".", "no value shows a decimal comma"


def _parse_amount(s: pd.Series, *, decimal=None, sep=None, ledger=None, column="amount",
                  offset=0):
    """Amounts as float64 (NaN where not a number), read as written.

    Currency signs (¥ ￥ $ € £ 元 RMB CNY), spaces, thousands separators and accounting
    negatives ``(12.5)`` are removed and counted in the ledger as reformatted. The decimal mark
    is ``decimal`` or detected (:func:`detect_decimal`); a value that does not fit it (``12,50``
    when the mark is ``.``) is not a number: it is never scaled.
    """
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    raw = s.astype("string").str.strip()
    text = raw.copy()
    # only values with something besides digits, signs and marks need rewriting (fast path)
    odd = raw.str.contains(r"[^0-9.,+-]", regex=True, na=False).to_numpy(dtype=bool)
    if odd.any():
        t = raw[odd].str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # accounting (12.5)
        t = t.str.replace(rf"{_CURRENCY}|[\s\u00a0\u202f']", "", regex=True)
        text[odd] = t.str.replace("，", ",", regex=False)
    name = ledger.source if ledger is not None else "<amounts>"
    if decimal is None:
        decimal, why = detect_decimal(text, sep)
        if decimal is None:
            comma = text.str.fullmatch(_COMMA_DECIMAL, na=False).to_numpy()
            point = text.str.fullmatch(_POINT_DECIMAL, na=False).to_numpy()
            idx = raw.index
            raise DataError(
                f"{name}: column {column!r} mixes decimal points (e.g. "
                f"{raw[point].iloc[0]!r}, {format_rows(_examples(point, offset, idx))}) and "
                f"decimal commas (e.g. {raw[comma].iloc[0]!r}, "
                f"{format_rows(_examples(comma, offset, idx))}). Say which is meant with "
                "decimal='.' or decimal=',' (command line: --decimal . or --decimal ,); values "
                "written the other way are then counted as non-numeric."
            )
    else:
        why = f"given as decimal={decimal!r}"
    ok = text.str.fullmatch(_NUMBER[decimal], na=False)
    group, mark = (",", ".") if decimal == "." else (".", ",")
    clean = text.where(ok).str.replace(group, "", regex=False)
    if decimal == ",":
        clean = clean.str.replace(mark, ".", regex=False)
    values = pd.to_numeric(clean, errors="coerce").astype("float64")
    if ledger is not None:
        ledger.decimal = decimal
        ledger.decimal_reason = why
        changed = (text != raw).fillna(False).to_numpy(dtype=bool)
        grouped = text.str.contains(group, regex=False, na=False).to_numpy(dtype=bool)
        reformatted = ok.to_numpy(dtype=bool) & (changed | grouped)
        if reformatted.any():
            ledger.warnings["amount_reformatted"] = int(reformatted.sum())
            ledger.examples["amount_reformatted"] = _examples(reformatted, offset, raw.index)
    return values


# A timestamp string carries a time zone when a time of day is followed by Z, UTC, GMT or an
# offset (+08:00, +0800, -05). The pattern is also valid RE2, so DuckDB's regexp functions and
# pandas agree on which values carry a zone ([0-9] rather than \d keeps pandas on Arrow's
# fast path).
TZ_PATTERN = (r"[T ][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?[ \t]*"
              r"(?:Z|UTC|GMT|[+-][0-9]{2}(?::?[0-9]{2})?)$")
_TZ_ZONE = r"(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_TZ_SUFFIX = rf"\s*{_TZ_ZONE}$"


def timezone_flags(values) -> pd.Series:
    """True where a date value carries a time zone.

    The one time-zone detector of crmlab (:func:`read_transactions` and
    :func:`crmlab.summarise` both use it, with :data:`TZ_PATTERN` for SQL engines).

    Parameters
    ----------
    values : pandas.Series
        Strings (a zone is a time of day followed by ``Z``, ``UTC``, ``GMT`` or an offset such
        as ``+08:00``/``+0800``/``-05``), datetimes, or a mixture.

    Returns
    -------
    pandas.Series of bool, aligned with ``values``; missing values are False.
    """
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.notna()
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return pd.Series(False, index=s.index)
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        return s.str.strip().str.contains(TZ_PATTERN, regex=True, na=False).astype(bool)

    def one(v) -> bool:
        if isinstance(v, str):
            return re.search(TZ_PATTERN, v.strip()) is not None
        return getattr(v, "tzinfo", None) is not None

    return s.map(one).astype(bool)


def _check_timezone(timezone):
    if timezone is None:
        return None
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(str(timezone))
    except Exception:
        raise ParameterError(
            f"timezone={timezone!r} is not a known time zone; use an IANA name such as "
            "'Asia/Shanghai' or 'UTC' (command line: --timezone Asia/Shanghai), or leave it out "
            "to keep each timestamp's local time as written."
        ) from None
    return str(timezone)


def _offset_minutes(suffix: pd.Series) -> pd.Series:
    """Minutes east of UTC for zone suffixes such as ``Z``, ``+08:00``, ``-0530``, ``+05``."""
    s = suffix.fillna("").str.strip()
    parts = s.str.extract(r"^([+-])(\d{2}):?(\d{2})?$")
    minutes = parts[1].astype("float64") * 60 + parts[2].fillna("0").astype("float64")
    minutes = minutes.where(parts[0] != "-", -minutes)
    return minutes.where(parts[0].notna(), 0.0)


def _parse_dates(s: pd.Series, name: str, column: str, offset: int, date_format, ledger,
                 timezone=None):
    """Parse a date column; returns a tz-naive datetime64 series with NaT where unparseable.

    Time zones: without ``timezone`` a timestamp keeps the wall-clock time of its own offset
    (``2024-01-01T01:00+08:00`` is 2024-01-01 01:00); with ``timezone`` it is converted to that
    zone's wall-clock time. Either way the ledger says so.
    """
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        n = int(s.notna().sum())
        if timezone is None:
            out = s.dt.tz_localize(None)
            ledger.warnings["timezone_local_time"] = n
        else:
            out = s.dt.tz_convert(timezone).dt.tz_localize(None)
            ledger.warnings["timezone_converted"] = n
            ledger.timezone = timezone
        return out.astype("datetime64[ns]")
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[ns]")
    text = s.astype("string").str.strip()
    non_null = s.notna() & text.notna() & (text != "")
    if not pd.api.types.is_object_dtype(s):  # text read from a file: no datetime cells
        return _parse_text_dates(text, non_null, name, column, offset, date_format, ledger,
                                 timezone)
    native = s.map(lambda v: hasattr(v, "year") and not isinstance(v, str)).astype(bool)
    if not native.any():
        return _parse_text_dates(text, non_null, name, column, offset, date_format, ledger,
                                 timezone)
    # Excel cells already hold datetimes, possibly mixed with dates typed as text.
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    cells = pd.to_datetime(s[native].map(
        lambda v: pd.Timestamp(v).tz_localize(None) if getattr(v, "tzinfo", None) else v),
        errors="coerce")
    out[native] = cells.astype("datetime64[ns]")
    typed = non_null & ~native
    if typed.any():
        sub = _parse_text_dates(text[typed], typed[typed], name, column, offset, date_format,
                                ledger, timezone, required=False)
        out[typed] = sub
    return out


def _parse_text_dates(text, non_null, name, column, offset, date_format, ledger, timezone,
                      required=True):
    n = int(non_null.sum())
    if n == 0:
        raise DataError(f"{name}: column {column!r} has no dates at all. Check that the right "
                        "column is used as date= (command line: --date).")
    aware = timezone_flags(text) & non_null
    if aware.any() and not aware[non_null].all() and timezone is None:
        rows_aware = _examples(aware.to_numpy(), offset, text.index, 3)
        rows_naive = _examples((~aware & non_null).to_numpy(), offset, text.index, 3)
        raise DataError(
            f"{name}: column {column!r} mixes dates with a time zone ("
            f"{format_rows(rows_aware)}) and without one ({format_rows(rows_naive)}). Export "
            "all dates in one form, or pass timezone='Asia/Shanghai' (command line: "
            "--timezone) to take the dates without one as that zone's time."
        )
    minutes = None
    if aware.any():
        suffix = text.where(aware).str.extract(f"({_TZ_ZONE})\\s*$")[0]
        minutes = _offset_minutes(suffix)
        text = text.where(~aware, text.str.replace(_TZ_SUFFIX, "", regex=True))
    out, used = _parse_formats(text, non_null, n, name, column, offset, date_format, ledger,
                               required)
    if minutes is not None:
        ok = aware & out.notna()
        if timezone is None:
            ledger.warnings["timezone_local_time"] = int(ok.sum())
            modal = minutes[ok].mode()
            if len(modal):
                other = ok & (minutes != modal.iloc[0])
                if other.any():
                    ledger.warnings["timezone_other_offset"] = int(other.sum())
                    ledger.examples["timezone_other_offset"] = _examples(
                        other.to_numpy(), offset, text.index)
        else:
            utc = out - pd.to_timedelta(minutes, unit="min")
            local = utc.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
            out = local.where(ok, out).astype("datetime64[ns]")
            ledger.warnings["timezone_converted"] = int(ok.sum())
            ledger.timezone = timezone
    return out


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    try:
        return pd.to_datetime(text, format=fmt, errors="coerce")
    except (ValueError, TypeError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")


def _family(fmt: str) -> str:
    """A date format without its time of day: formats of one family write a date the same way."""
    if fmt == "ISO8601":
        return "%Y-%m-%d"
    return re.split(r"[ T]%H", fmt)[0]


def _swap_day_month(fmt: str) -> str:
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


# Date families whose day/month order is a convention of the writer, not visible in the
# format (year last), each with the family written the other way round.
_DAY_MONTH_SWAP = {f: _swap_day_month(f) for f in DATE_FORMATS
                   if f.startswith(("%m", "%d")) and f == _family(f)}


def _read_family(text: pd.Series, family: str) -> tuple[pd.Series, dict[str, np.ndarray]]:
    """``text`` read with the formats of one family (the date alone, or with a time of day),
    each value by the first that reads it; also which rows each format read."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    rows: dict[str, np.ndarray] = {}
    for fmt in (f for f in DATE_FORMATS if _family(f) == family):
        todo = out.isna().to_numpy()
        if not todo.any():
            break
        p = _to_datetime(text[todo], fmt)
        got = p.notna().to_numpy()
        if got.any():
            mask = np.zeros(len(text), dtype=bool)
            mask[np.flatnonzero(todo)[got]] = True
            out[mask] = p[got].to_numpy()
            rows[fmt] = mask
    return out, rows


def _sample(text: pd.Series, size: int = 2000) -> pd.Series:
    """Up to ``size`` values spread evenly over ``text`` (a sorted log's head is not typical)."""
    if len(text) <= size:
        return text
    return text.iloc[np.linspace(0, len(text) - 1, size).astype(int)]


def _parse_formats(text, non_null, n, name, column, offset, date_format, ledger, required):
    """Read each date with the first of ``DATE_FORMATS`` that reads it, row by row.

    The format reading most of the column is taken first, then the one reading most of what is
    left, and so on (judged on an even sample, then applied to every row left): a column mixing
    unambiguous formats (``2024/03/05 14:22:10`` and ``2024年3月5日``) loses no date. A mixture
    whose day/month order cannot be known is refused.
    """
    flag = (f"date_format={date_format!r} (command line: --date-format '{date_format}') "
            "did not match; pass the format of this column"
            if date_format else
            "pass its format as date_format='%d/%m/%Y' or similar (command line: "
            "--date-format '%d/%m/%Y')")
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    used: dict[str, np.ndarray] = {}
    missed = non_null.to_numpy().copy()
    # pandas' "ISO8601" also reads 2024/03/05 and 20240305: it is kept for what no explicit
    # format reads (fractions of a second...), so that each date's own format is known.
    formats = ([date_format] if date_format else [f for f in DATE_FORMATS if f != "ISO8601"])
    while missed.any():
        left = text[missed]
        pool = [f for f in formats if f not in used]
        if not pool:
            break
        probe = _sample(left)
        scores = {f: int(_to_datetime(probe, f).notna().sum()) for f in pool}
        ranked = sorted(pool, key=lambda f: -scores[f])  # stable: DATE_FORMATS order on ties
        if scores[ranked[0]] == 0 and len(probe) == len(left):
            break  # every value left was tried with every format
        taken = False
        for fmt in ranked:
            if scores[fmt] == 0 and taken:
                break
            p = _to_datetime(left, fmt)
            got = p.notna().to_numpy()
            if got.any():
                rows = np.flatnonzero(missed)[got]
                out.iloc[rows] = p[got].to_numpy()
                mask = np.zeros(len(out), dtype=bool)
                mask[rows] = True
                used[fmt] = mask
                missed[rows] = False
                taken = True
                break
            used.setdefault(fmt, np.zeros(len(out), dtype=bool))  # tried on every row left
        if not taken:
            break
    used = {f: rows for f, rows in used.items() if rows.any()}
    if missed.any() and date_format is None and "ISO8601" in DATE_FORMATS:
        left = text[missed]
        p = _to_datetime(left, "ISO8601")
        got = p.notna().to_numpy()
        if got.any():
            rows = np.flatnonzero(missed)[got]
            out.iloc[rows] = p[got].to_numpy()
            used["ISO8601"] = np.zeros(len(out), dtype=bool)
            used["ISO8601"][rows] = True
    if not used:
        if not required:
            return out, {}
        rows = _examples(non_null.to_numpy(), offset, text.index)
        example = text[non_null].iloc[0]
        raise DataError(
            f"{name}: no value in column {column!r} could be read as a date (for example "
            f"{example!r} at {format_rows(rows)}). Check that date= names the date column, or "
            f"{flag}."
        )
    families: dict[str, np.ndarray] = {}
    for fmt, rows in used.items():
        fam = _family(fmt)
        families[fam] = families.get(fam, np.zeros(len(out), dtype=bool)) | rows
    for first in [f for f in _DAY_MONTH_SWAP if f.startswith("%m")]:
        second = _DAY_MONTH_SWAP[first]
        if first not in families or second not in families:
            continue
        # 01/02/2023 read month first next to 13/02/2023 read day first: one order may read all
        rows = families[first] | families[second]
        for order, other in ((second, first), (first, second)):
            p, by_format = _read_family(text[rows], order)
            if p.notna().all():
                out[rows] = p.to_numpy()
                families[order] = rows
                del families[other]
                used = {f: r for f, r in used.items() if _family(f) not in (order, other)}
                for fmt, sub in by_format.items():
                    mask = np.zeros(len(out), dtype=bool)
                    mask[np.flatnonzero(rows)[sub]] = True
                    used[fmt] = mask
                break
    main = max(families, key=lambda f: int(families[f].sum()))
    if len(families) > 1:
        _refuse_unknowable_day_month(text, families, main, name, column, offset)
        other = np.zeros(len(out), dtype=bool)
        for fam, rows in families.items():
            if fam != main:
                other |= rows
        ledger.warnings["date_other_format"] = int(other.sum())
        ledger.examples["date_other_format"] = _examples(other, offset, text.index)
    elif main in _DAY_MONTH_SWAP and date_format is None:
        rows = families[main]
        alt, _ = _read_family(text[rows], _DAY_MONTH_SWAP[main])
        if alt.notna().all() and not alt.equals(out[rows]):
            ledger.warnings["ambiguous_day_month"] = int(rows.sum())
    ledger.date_format = " + ".join(used)
    return out.astype("datetime64[ns]"), used


def _refuse_unknowable_day_month(text, families, main, name, column, offset):
    """Refuse a mixture of date formats when a part's day/month order cannot be known.

    A year-first format (2024-03-05, 2024/03/05, 2024年3月5日) states its order. A year-last one
    (03/05/2024, 05.03.2024) states it only when some day is above 12: if every value of that
    part reads as well with day and month swapped, the mixture is refused.
    """
    for fam, rows in families.items():
        if fam not in _DAY_MONTH_SWAP:
            continue
        swapped, _ = _read_family(text[rows], _DAY_MONTH_SWAP[fam])
        both_orders = _DAY_MONTH_SWAP[fam] in families
        if not both_orders and not swapped.notna().all():
            continue  # some day is above 12: the order is known
        first = families[main] if fam != main else next(r for f, r in families.items() if f != fam)
        other_fam = main if fam != main else next(f for f in families if f != fam)
        a = _examples(first, offset, text.index, 3)
        b = _examples(rows, offset, text.index, 3)
        raise DataError(
            f"{name}: column {column!r} mixes date formats: {other_fam} (e.g. "
            f"{format_rows(a)}) and {fam} (e.g. {format_rows(b)}), and the day/month order of "
            "the second "
            "cannot be known (every value reads both ways). Export the dates in one format, or "
            f"pass date_format='{fam}' (command line: --date-format '{fam}') to read one of "
            "them and drop the rest."
        )


def _clean(raw, cols, ledger, *, offset, date_format, returns, duplicates, decimal=None,
           sep=None, timezone=None):
    name = ledger.source
    ledger.rows_read = len(raw)
    index = raw.index
    cust = _parse_customer(raw[cols["customer_id"]])
    dates = _parse_dates(raw[cols["date"]], name, cols["date"], offset, date_format, ledger,
                         timezone)
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
        amount = _parse_amount(raw[cols["amount"]], decimal=decimal, sep=sep, ledger=ledger,
                               column=cols["amount"], offset=offset)
        bad = amount.isna().to_numpy()
        if (bad & keep).sum() == keep.sum():
            examples = raw[cols["amount"]][bad & keep].head(3).tolist()
            raise DataError(
                f"{name}: no value in column {cols['amount']!r} is a number (for example "
                f"{examples}). Name the amount column with amount= (command line: --amount), "
                "or amount=None for a log without values."
            )
        drop("non_numeric_amount", bad)
        negative = (amount < 0).fillna(False).to_numpy()
        if returns == "error" and (negative & keep).any():
            rows = _examples(negative & keep, offset, index)
            raise DataError(
                f"{name}: column {cols['amount']!r} has {int((negative & keep).sum())} negative "
                f"amounts (returns) at {format_rows(rows)}. Use returns='drop' to drop and "
                "count them, or returns='keep' (command line: --returns drop|keep)."
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
