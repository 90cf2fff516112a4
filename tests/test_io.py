"""read_transactions: clean data or a clear DataError, and a ledger that always adds up."""

import re
import traceback
import warnings

import numpy as np
import pandas as pd
import pytest

import crmlab
from crmlab.errors import CrmlabError, DataError, ParameterError

from pathlib import Path

BAD = Path(__file__).parent / "data" / "bad"


def read(name, **kw):
    return crmlab.read_transactions(BAD / name, **kw)


def assert_balanced(tx):
    lg = tx.ledger
    assert lg.rows_read == lg.rows_kept + sum(lg.dropped.values())
    assert lg.rows_kept == len(tx.frame)


# (file, keyword arguments, fragments the message must contain)
ERRORS = [
    ("missing_customer_column.csv", {}, ["missing_customer_column.csv", "Columns found: date, amount",
                                         "customer="]),
    ("empty.csv", {}, ["empty.csv", "empty"]),
    ("header_only.csv", {}, ["header_only.csv", "no data rows"]),
    ("not_a_table.csv", {}, ["not_a_table.csv", "not a text table"]),
    ("all_dates_bad.csv", {}, ["all_dates_bad.csv", "'date'", "rows 2, 3, 4", "date_format=",
                               "--date-format"]),
    ("mixed_date_formats.csv", {}, ["mixes date formats", "%Y-%m-%d", "%d.%m.%Y", "rows 12",
                                    "cannot be known", "date_format='%d.%m.%Y'",
                                    "--date-format '%d.%m.%Y'"]),
    ("mixed_decimal_marks.csv", {}, ["'amount'", "'12.50'", "row 2", "'7,25'", "row 3",
                                     "decimal='.'", "--decimal"]),
    ("amount_all_text.csv", {}, ["'amount'", "amount=None"]),
    ("ragged.csv", {}, ["ragged.csv", "line 3"]),
    ("one_extra_field.csv", {}, ["one_extra_field.csv", "line 2", "more fields"]),
    ("tz_mixed.csv", {}, ["time zone", "rows 2, 4", "row 3"]),
    ("not_excel.xlsx", {}, ["not_excel.xlsx", "Excel"]),
    ("corrupt.parquet", {}, ["corrupt.parquet", "Parquet"]),
    ("empty_sheet.xlsx", {}, ["empty_sheet.xlsx", "no data", "sheet="]),
    ("semicolon_decimal.csv", {}, ["Columns found: Kunde, Datum, Betrag", "customer="]),
    ("gbk_chinese_headers.csv", {"customer": "会员"}, ["no column named '会员'", "客户编号",
                                                      "customer="]),
    ("returns.csv", {"returns": "error"}, ["2 negative", "rows 3, 5", "returns='drop'"]),
    ("gbk_chinese_headers.csv", {"encoding": "utf-8"}, ["cannot be decoded", "encoding=None"]),
    ("title_row.xlsx", {"sheet": "Sheet9"}, ["no sheet named 'Sheet9'", "销售明细"]),
]


@pytest.mark.parametrize("name,kw,fragments", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_bad_input_gives_a_data_error_that_names_the_fix(name, kw, fragments):
    with pytest.raises(DataError) as info:
        read(name, **kw)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)
    # no pandas/pyarrow traceback is chained to the user's error
    chain = "".join(traceback.format_exception(info.value))
    assert "pandas/io" not in chain and "pyarrow" not in chain.lower().replace("arrowinvalid", "")


def test_corpus_is_large_enough():
    assert len(list(BAD.iterdir())) >= 15


def test_gbk_csv_with_chinese_headers_is_detected_and_read():
    tx = read("gbk_chinese_headers.csv")
    assert tx.ledger.encoding == "gb18030"
    assert tx.ledger.columns == {"customer_id": "客户编号", "date": "交易日期", "amount": "实付金额"}
    assert list(tx.frame.columns) == ["customer_id", "date", "amount", "门店"]
    assert tx.frame["门店"].iloc[0] == "北京一店"
    assert tx.frame["amount"].sum() == pytest.approx(553.5)
    assert_balanced(tx)


def test_utf8_bom_with_currency_symbols_and_times():
    tx = read("utf8_bom_chinese.csv")
    assert tx.ledger.encoding == "utf-8"
    assert tx.frame["amount"].tolist() == [1200.0, 35.5, 60.0]
    assert tx.frame["date"].iloc[0] == pd.Timestamp("2023-01-05 10:30")
    assert tx.frame["customer_id"].tolist() == ["M1", "M2", "M1"]


def test_excel_title_row_is_skipped_and_bad_rows_are_counted_with_sheet_row_numbers():
    tx = read("title_row.xlsx")
    assert tx.frame["customer_id"].tolist() == ["K01", "K02", "K01"]
    assert tx.ledger.dropped == {"missing_customer_id": 1, "unparseable_date": 1}
    # the title is row 1, a blank row 2, the header row 3: the bad rows are sheet rows 7 and 8
    assert tx.ledger.examples["missing_customer_id"] == [7]
    assert tx.ledger.examples["unparseable_date"] == [8]
    assert_balanced(tx)


def test_dropped_rows_are_counted_by_reason():
    tx = read("non_numeric_amount.csv")
    assert tx.ledger.dropped == {"non_numeric_amount": 2}
    assert tx.ledger.examples["non_numeric_amount"] == [3, 5]
    assert_balanced(tx)
    tx = read("missing_ids.csv")
    assert tx.ledger.dropped == {"missing_customer_id": 2}
    assert_balanced(tx)


@pytest.mark.parametrize("policy,kept,dropped", [("drop", 3, {"negative_amount": 2}),
                                                 ("keep", 5, {})])
def test_returns_policy(policy, kept, dropped):
    tx = read("returns.csv", returns=policy)
    assert len(tx.frame) == kept
    assert tx.ledger.dropped == dropped
    assert tx.ledger.warnings["zero_amount"] == 1
    if policy == "keep":
        assert tx.ledger.warnings["negative_amount_kept"] == 2
        assert (tx.frame["amount"] < 0).sum() == 2
    assert_balanced(tx)


def test_duplicates_are_kept_and_counted_or_dropped_and_counted():
    kept = read("duplicates.csv")
    assert len(kept.frame) == 5 and kept.ledger.warnings["exact_duplicates_kept"] == 3
    dropped = read("duplicates.csv", duplicates="drop")
    assert len(dropped.frame) == 2 and dropped.ledger.dropped == {"exact_duplicate": 3}
    assert_balanced(kept)
    assert_balanced(dropped)


def test_kept_remarks_are_reported_as_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read("duplicates.csv")
    assert any("3 exact_duplicates_kept" in str(w.message) for w in caught)


def test_event_log_without_amount_has_no_amount_column():
    frame = pd.DataFrame({"cust": ["a", "b", "a"], "date": ["2020-01-01", "2020-01-02", "2020-02-01"]})
    tx = crmlab.read_transactions(frame)
    assert list(tx.frame.columns) == ["customer_id", "date"]
    assert not tx.has_amount


def test_keyword_columns_override_detection_and_extra_columns_survive():
    frame = pd.DataFrame({"id": [1, 2], "when": ["2020-01-01", "2020-01-02"], "paid": ["3", "4"],
                          "amount": [9, 9]})
    tx = crmlab.read_transactions(frame, customer="id", date="when", amount="paid")
    assert tx.frame["amount"].tolist() == [3.0, 4.0]
    # a source column that clashes with a clean name is kept under another name
    assert tx.frame["amount_source"].tolist() == [9, 9]


def test_parquet_and_tsv_sources(tmp_path):
    frame = pd.DataFrame({"customer_id": ["x", "y"], "date": pd.to_datetime(["2021-05-01", "2021-05-02"]),
                          "amount": [1.5, 2.5]})
    frame.to_parquet(tmp_path / "log.parquet")
    tx = crmlab.read_transactions(tmp_path / "log.parquet")
    assert tx.frame["amount"].sum() == 4.0 and tx.frame["date"].dtype == "datetime64[ns]"
    frame.to_csv(tmp_path / "log.tsv", sep="\t", index=False)
    assert len(crmlab.read_transactions(tmp_path / "log.tsv").frame) == 2


def test_timezone_aware_dates_are_converted_to_the_given_zone_and_counted(tmp_path):
    path = tmp_path / "tz.csv"
    path.write_text("customer_id,date\n1,2023-01-01T08:00:00+08:00\n2,2023-01-02T00:00:00+00:00\n")
    tx = crmlab.read_transactions(path, timezone="UTC")
    assert tx.frame["date"].tolist() == [pd.Timestamp("2023-01-01 00:00"), pd.Timestamp("2023-01-02")]
    assert tx.ledger.warnings["timezone_converted"] == 2
    assert tx.ledger.timezone == "UTC"
    # without timezone= each keeps its own wall clock, and the odd offset is pointed out
    tx = crmlab.read_transactions(path)
    assert tx.frame["date"].tolist() == [pd.Timestamp("2023-01-01 08:00"), pd.Timestamp("2023-01-02")]
    assert tx.ledger.warnings["timezone_local_time"] == 2
    assert tx.ledger.warnings["timezone_other_offset"] == 1


def test_ambiguous_day_month_is_flagged():
    frame = pd.DataFrame({"customer_id": ["a", "b"], "date": ["01/02/2020", "03/04/2020"]})
    tx = crmlab.read_transactions(frame)
    assert tx.frame["date"].iloc[0] == pd.Timestamp("2020-01-02")  # month first, as documented
    assert tx.ledger.warnings["ambiguous_day_month"] == 2


def test_missing_file_and_bad_policies():
    with pytest.raises(DataError, match="file not found"):
        crmlab.read_transactions(BAD / "nope.csv")
    with pytest.raises(ParameterError, match="returns="):
        read("returns.csv", returns="net")
    with pytest.raises(ParameterError, match="duplicates="):
        read("returns.csv", duplicates="maybe")
    with pytest.raises(DataError, match="pass a file path"):
        crmlab.read_transactions(42)


def test_every_error_is_a_crmlab_error():
    assert issubclass(DataError, CrmlabError)
    for cls in (crmlab.ModelError, crmlab.ParameterError, crmlab.BuildError):
        assert issubclass(cls, CrmlabError)


def test_random_messy_logs_always_balance():
    rng = np.random.default_rng(7)
    n = 500
    ids = rng.choice(["c1", "c2", "", None, "c3"], n)
    dates = rng.choice(["2021-01-05", "2021-02-30", "", "2021-03-01 10:00:00"], n)
    amounts = rng.choice(["10", "-3", "x", "0", "", "¥5"], n)
    frame = pd.DataFrame({"customer_id": ids, "date": dates, "amount": amounts})
    for returns in ("drop", "keep"):
        for duplicates in ("keep", "drop"):
            tx = crmlab.read_transactions(frame, returns=returns, duplicates=duplicates)
            assert_balanced(tx)
            assert tx.frame["customer_id"].notna().all() and tx.frame["date"].notna().all()


def test_ledger_renders_in_both_languages():
    tx = read("non_numeric_amount.csv")
    zh = tx.ledger.to_frame("zh")
    en = tx.ledger.to_frame("en")
    assert "金额非数值" in zh.iloc[:, 0].tolist()
    assert "Non-numeric amount" in en.iloc[:, 0].tolist()
    assert re.search(r"dropped 2 × non_numeric_amount \(rows 3, 5\)", str(tx.ledger))


# ---------------------------------------------------------------------------------------------
# dates: never drop a valid one (#15.3)


def test_slash_dates_with_a_few_chinese_dates_lose_none():
    with pytest.warns(UserWarning, match="date_other_format"):
        tx = read("mixed_slash_and_chinese_dates.csv")
    assert len(tx.frame) == 23 and tx.ledger.dropped == {}
    assert tx.frame["date"].iloc[0] == pd.Timestamp("2024-03-01 14:22:10")
    assert tx.frame["date"].iloc[-3:].tolist() == [
        pd.Timestamp("2024-03-21"), pd.Timestamp("2024-03-22 09:05"), pd.Timestamp("2024-03-23")]
    # 2024年3月21日, 2024年3月22日 09:05:00 and the ISO date are in another format than the rest
    assert tx.ledger.warnings["date_other_format"] == 3
    assert tx.ledger.examples["date_other_format"] == [22, 23, 24]
    assert "%Y年%m月%d日" in tx.ledger.date_format
    assert_balanced(tx)


def test_iso_and_dotted_dates_are_read_when_the_days_show_the_order():
    tx = read("mixed_iso_and_dotted_dates.csv")
    assert len(tx.frame) == 20
    assert tx.frame["date"].iloc[10:].tolist() == list(pd.date_range("2023-02-11", "2023-02-20"))
    assert tx.ledger.warnings["date_other_format"] == 10


def test_slash_dates_whose_days_show_day_first_are_read_day_first():
    frame = pd.DataFrame({"customer_id": list("abcd"),
                          "date": ["01/02/2023", "03/04/2023", "13/02/2023", "2023-05-01"]})
    tx = crmlab.read_transactions(frame)
    assert tx.frame["date"].tolist() == [pd.Timestamp(d) for d in
                                         ("2023-02-01", "2023-04-03", "2023-02-13", "2023-05-01")]


def test_day_first_and_month_first_slash_dates_in_one_column_are_refused():
    frame = pd.DataFrame({"customer_id": list("abcd"),
                          "date": ["01/02/2023", "02/13/2023", "13/02/2023", "2023-05-01"]})
    with pytest.raises(DataError, match="cannot be known") as info:
        crmlab.read_transactions(frame)
    assert "--date-format" in str(info.value)


def test_a_given_date_format_reads_only_that_format_and_counts_the_rest():
    frame = pd.DataFrame({"customer_id": list("abc"),
                          "date": ["2024/03/05", "2024年3月6日", "2024/03/07"]})
    tx = crmlab.read_transactions(frame, date_format="%Y/%m/%d")
    assert tx.ledger.dropped == {"unparseable_date": 1}
    assert tx.ledger.date_format == "%Y/%m/%d"


def test_text_dates_among_excel_date_cells_are_kept(tmp_path):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户编号", "交易日期", "交易金额"])
    ws.append(["K1", dt.datetime(2023, 1, 3, 10, 0), 10])
    ws.append(["K2", "2023年2月1日", 20])
    ws.append(["K3", "2023-13-45", 30])
    wb.save(tmp_path / "x.xlsx")
    tx = crmlab.read_transactions(tmp_path / "x.xlsx")
    assert tx.frame["date"].tolist() == [pd.Timestamp("2023-01-03 10:00"), pd.Timestamp("2023-02-01")]
    assert tx.ledger.dropped == {"unparseable_date": 1}
    assert tx.ledger.examples["unparseable_date"] == [4]


DATE_WRITERS = [  # unambiguous ways exports write a date (year first, or 年月日)
    lambda t: t.strftime("%Y/%m/%d %H:%M:%S"),
    lambda t: t.strftime("%Y-%m-%d %H:%M:%S"),
    lambda t: f"{t.year}年{t.month}月{t.day}日",
    lambda t: t.strftime("%Y%m%d"),
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),
]
AMOUNT_WRITERS = [  # (writer, reformatted?)
    (lambda v: f"{v:.2f}", False),
    (lambda v: f"¥{v:,.2f}", True),
    (lambda v: f"￥{v:.2f}", True),
    (lambda v: f"{v:.2f}元", True),
    (lambda v: f"{v:,.2f}", None),  # reformatted only when a thousands separator appears
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_seeded_dirty_log_keeps_every_date_and_amount_and_counts_the_reformatted(seed, tmp_path):
    rng = np.random.default_rng(seed)
    n = 400
    seconds = rng.integers(0, 2 * 365 * 86400, n)
    truth_dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s")
    truth_amounts = np.round(rng.gamma(1.5, 900.0, n), 2)
    main = rng.integers(0, 2, n) == 0  # about half in the main format, the rest spread over four
    date_kind = np.where(main, 0, rng.integers(1, len(DATE_WRITERS), n))
    amount_kind = rng.integers(0, len(AMOUNT_WRITERS), n)
    dates = [DATE_WRITERS[k](t) for k, t in zip(date_kind, truth_dates)]
    amounts = [AMOUNT_WRITERS[k][0](v) for k, v in zip(amount_kind, truth_amounts)]
    ids = [f"C{i}" for i in rng.integers(0, 60, n)]
    pd.DataFrame({"会员号": ids, "下单时间": dates, "实付金额": amounts}).to_csv(
        tmp_path / "log.csv", index=False, encoding="gb18030")
    tx = crmlab.read_transactions(tmp_path / "log.csv")
    assert tx.ledger.dropped == {} and len(tx.frame) == n
    # a date written without a time of day is that day at 00:00
    day_only = np.isin(date_kind, [2, 3])
    expected = pd.Series(truth_dates).where(~day_only, pd.Series(truth_dates).dt.normalize())
    assert (tx.frame["date"].to_numpy() == expected.to_numpy()).all()
    np.testing.assert_array_equal(tx.frame["amount"].to_numpy(), truth_amounts)
    # families: %Y/%m/%d (main), %Y-%m-%d (ISO with and without T), 年月日, %Y%m%d
    assert tx.ledger.warnings["date_other_format"] == int((date_kind != 0).sum())
    reformatted = sum(
        (AMOUNT_WRITERS[k][1] if AMOUNT_WRITERS[k][1] is not None else v >= 1000)
        for k, v in zip(amount_kind, truth_amounts))
    assert tx.ledger.warnings["amount_reformatted"] == reformatted
    assert_balanced(tx)


# ---------------------------------------------------------------------------------------------
# numbers, text and time zones read as written (#15.8)


def test_semicolon_file_with_decimal_commas_is_read_as_written():
    tx = read("semicolon_decimal.csv", customer="Kunde", date="Datum", amount="Betrag")
    assert tx.frame["amount"].tolist() == [12.5, 1234.56]
    assert tx.frame["date"].tolist() == [pd.Timestamp("2023-01-05"), pd.Timestamp("2023-01-17")]
    assert tx.ledger.decimal == "," and "decimal comma" in tx.ledger.decimal_reason


@pytest.mark.parametrize("values,sep,expected", [
    (["12,50", "3"], ",", [12.5, 3.0]),              # shape: two decimals after the comma
    (["1.234,56", "7"], ",", [1234.56, 7.0]),        # point groups thousands, comma decimals
    (["1,234.56", "7"], ";", [1234.56, 7.0]),        # the values overrule the separator
    (["1,234", "7"], ",", [1234.0, 7.0]),            # a comma-separated file: thousands
    (["1,234", "7"], ";", [1.234, 7.0]),             # a ;-separated file: decimal comma
    (["1.234", "7"], ";", [1234.0, 7.0]),
])
def test_decimal_mark_is_detected_from_values_then_separator(values, sep, expected, tmp_path):
    path = tmp_path / "x.csv"
    rows = "".join(f'c{i}{sep}2023-01-0{i + 1}{sep}"{v}"\n' for i, v in enumerate(values))
    path.write_text(f"customer_id{sep}date{sep}amount\n{rows}", encoding="utf-8")
    tx = crmlab.read_transactions(path)
    assert tx.frame["amount"].tolist() == pytest.approx(expected, rel=0, abs=0)


def test_a_value_against_the_decimal_mark_is_non_numeric_never_rescaled():
    frame = pd.DataFrame({"customer_id": list("abc"), "date": ["2023-01-01"] * 3,
                          "amount": ["12,50", "3", "1.234,56"]})
    tx = crmlab.read_transactions(frame, decimal=".")
    assert tx.frame["amount"].tolist() == [3.0]
    assert tx.ledger.dropped == {"non_numeric_amount": 2}
    tx = crmlab.read_transactions(frame, decimal=",")
    assert tx.frame["amount"].tolist() == [12.5, 3.0, 1234.56]
    with pytest.raises(ParameterError, match="--decimal"):
        crmlab.read_transactions(frame, decimal=";")


@pytest.mark.parametrize("encoding", [None, "utf-16"])
def test_excel_unicode_text_utf16_is_read(encoding):
    tx = read("excel_unicode_text.txt", encoding=encoding)
    assert tx.ledger.columns == {"customer_id": "会员号", "date": "下单时间", "amount": "实付金额"}
    assert tx.frame["amount"].tolist() == [12.5, 8.0, 30.0]
    assert tx.ledger.encoding == "utf-16"
    assert tx.ledger.encoding_reason == ("byte-order mark" if encoding is None
                                         else "given as encoding='utf-16'")


def test_utf16_without_a_byte_order_mark_is_detected(tmp_path):
    path = tmp_path / "x.txt"
    path.write_bytes("customer_id\tdate\n甲\t2023-01-05\n乙\t2023-01-06\n".encode("utf-16-le"))
    tx = crmlab.read_transactions(path)
    assert tx.frame["customer_id"].tolist() == ["甲", "乙"]
    assert tx.ledger.encoding == "utf-16-le"


def test_cp1252_text_is_not_decoded_as_gb18030():
    tx = read("cp1252_names.csv")
    assert tx.frame["customer_id"].tolist() == ["Müller", "Müller", "Gómez"]
    assert tx.ledger.encoding != "gb18030"
    assert "GB18030 rejected" in tx.ledger.encoding_reason


def test_gbk_reason_is_recorded():
    tx = read("gbk_chinese_headers.csv")
    assert "common Chinese" in tx.ledger.encoding_reason


def test_offsets_keep_their_wall_clock_date_or_convert_to_the_given_zone():
    tx = read("tz_offsets.csv")
    assert tx.frame["date"].tolist() == [pd.Timestamp("2024-01-01 01:00"),
                                         pd.Timestamp("2023-12-31 23:30"),
                                         pd.Timestamp("2024-01-01 00:00")]
    assert tx.ledger.warnings["timezone_local_time"] == 3
    assert "timezone_other_offset" not in tx.ledger.warnings and tx.ledger.timezone is None
    same = read("tz_offsets.csv", timezone="Asia/Shanghai")
    assert same.frame["date"].tolist() == tx.frame["date"].tolist()
    utc = read("tz_offsets.csv", timezone="UTC")
    assert utc.frame["date"].tolist() == [pd.Timestamp("2023-12-31 17:00"),
                                          pd.Timestamp("2023-12-31 15:30"),
                                          pd.Timestamp("2023-12-31 16:00")]
    with pytest.raises(ParameterError, match="--timezone"):
        read("tz_offsets.csv", timezone="China/Beijing")


def test_timezone_aware_parquet_keeps_the_columns_wall_clock(tmp_path):
    frame = pd.DataFrame({"customer_id": ["a", "b"],
                          "date": pd.to_datetime(["2024-01-01 01:00", "2024-01-02 23:00"])
                          .tz_localize("Asia/Shanghai")})
    frame.to_parquet(tmp_path / "x.parquet")
    tx = crmlab.read_transactions(tmp_path / "x.parquet")
    assert tx.frame["date"].tolist() == [pd.Timestamp("2024-01-01 01:00"),
                                         pd.Timestamp("2024-01-02 23:00")]
    utc = crmlab.read_transactions(tmp_path / "x.parquet", timezone="UTC")
    assert utc.frame["date"].iloc[0] == pd.Timestamp("2023-12-31 17:00")


def test_one_timezone_detector():
    from crmlab.io import timezone_flags

    values = pd.Series(["2024-01-01T01:00+08:00", "2024-01-01 10:00 UTC", "2024-01-01 10:00:00Z",
                        "2024-01-01 10:00:00+0800", "2024-01-01", "2024-01-01 10:00", None,
                        "2024-01-01 10:00:00-05"])
    assert timezone_flags(values).tolist() == [True, True, True, True, False, False, False, True]
    assert timezone_flags(values.astype("string")).tolist() == timezone_flags(values).tolist()
    aware = pd.Series(pd.to_datetime(["2024-01-01"]).tz_localize("UTC"))
    assert timezone_flags(aware).tolist() == [True]


def test_ledger_balance_is_checked_without_assert():
    from crmlab.io import Ledger, check_balanced

    check_balanced(Ledger("x", rows_read=3, rows_kept=2, dropped={"unparseable_date": 1}))
    with pytest.raises(DataError, match="LEDGER DOES NOT ADD UP"):
        check_balanced(Ledger("x", rows_read=3, rows_kept=1, dropped={"unparseable_date": 1}))


# ---------------------------------------------------------------------------------------------
# `crmlab data check` (#18.2 and the new flags)


def test_data_check_exits_2_when_the_ledger_does_not_add_up(monkeypatch, capsys):
    import crmlab.io
    from crmlab.cli import main

    real = crmlab.io.read_transactions

    def broken(*args, **kwargs):
        tx = real(*args, **kwargs)
        tx.ledger.rows_kept -= 1  # an accounting bug
        return tx

    monkeypatch.setattr(crmlab.io, "read_transactions", broken)
    assert main(["data", "check", str(BAD / "returns.csv")]) == 2
    captured = capsys.readouterr()
    assert "LEDGER DOES NOT ADD UP" in captured.err
    assert "ok: rows read" not in captured.out


def test_data_check_passes_decimal_and_timezone_and_says_why(capsys):
    from crmlab.cli import main

    assert main(["data", "check", str(BAD / "semicolon_decimal.csv"), "--customer", "Kunde",
                 "--date", "Datum", "--amount", "Betrag", "--decimal", ","]) == 0
    out = capsys.readouterr().out
    assert "decimal mark: ','" in out and "given as decimal=','" in out
    assert "encoding: utf-8 (valid UTF-8)" in out
    assert main(["data", "check", str(BAD / "tz_offsets.csv"), "--timezone", "UTC"]) == 0
    out = capsys.readouterr().out
    assert "times converted to: UTC" in out and "2023-12-31 to 2023-12-31" in out
    assert main(["data", "check", str(BAD / "tz_offsets.csv"), "--timezone", "Mars/Base"]) == 2
    assert "--timezone" in capsys.readouterr().err


def test_a_sorted_day_first_log_whose_head_reads_both_ways_is_read_day_first():
    # 5,000 dates with days 1-12 first (both orders read them), then days 13-20: day first
    early = [f"{d:02d}/{m:02d}/2023" for m in range(1, 13) for d in range(1, 13)] * 35
    late = [f"{d:02d}/03/2023" for d in range(13, 21)]
    frame = pd.DataFrame({"customer_id": "c", "date": early + late})
    tx = crmlab.read_transactions(frame)
    assert tx.ledger.dropped == {}
    assert tx.frame["date"].iloc[1] == pd.Timestamp("2023-01-02")  # 02/01/2023, day first
    assert tx.frame["date"].iloc[-1] == pd.Timestamp("2023-03-20")
    assert tx.ledger.date_format == "%d/%m/%Y"
    assert "date_other_format" not in tx.ledger.warnings


def test_dates_with_and_without_offset_are_refused_unless_a_timezone_is_given():
    with pytest.raises(DataError, match="--timezone"):
        read("tz_mixed.csv")
    tx = read("tz_mixed.csv", timezone="Asia/Shanghai")
    # the offsets are +08:00 already; the naive 2023-01-02T11:00 is taken as Shanghai time
    assert tx.frame["date"].tolist() == [pd.Timestamp("2023-01-01 10:00"),
                                         pd.Timestamp("2023-01-02 11:00"),
                                         pd.Timestamp("2023-01-03 12:00")]
    assert tx.ledger.warnings["timezone_converted"] == 2
    utc = read("tz_mixed.csv", timezone="UTC")
    assert utc.frame["date"].tolist()[0] == pd.Timestamp("2023-01-01 02:00")


def test_text_dates_among_excel_date_cells_report_their_sheet_rows(tmp_path):
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["客户编号", "交易日期"])
    for day in range(1, 6):
        ws.append([f"K{day}", dt.datetime(2023, 1, day)])
    ws.append(["K6", "2023/02/01"])
    ws.append(["K7", "2023年2月2日"])
    wb.save(tmp_path / "x.xlsx")
    tx = crmlab.read_transactions(tmp_path / "x.xlsx")
    assert tx.frame["date"].iloc[-2:].tolist() == [pd.Timestamp("2023-02-01"),
                                                   pd.Timestamp("2023-02-02")]
    # within the typed cells 2023年2月2日 is the second format: sheet row 8
    assert tx.ledger.examples["date_other_format"] == [8]


@pytest.mark.parametrize("fmt", ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M",
                                 "%d.%m.%Y %H:%M:%S"])
def test_day_first_timestamps_are_read_day_first_and_none_is_dropped(fmt, tmp_path):
    # A European export with times of day (28/05/2024 06:00): every value reads day first. Once
    # only the month-first formats carried a time, so days above 12 were dropped and the rest
    # were read with day and month swapped, without a word.
    rng = np.random.default_rng(11)
    truth = (pd.Timestamp("2024-01-01")
             + pd.to_timedelta(rng.integers(0, 366 * 86400, 400), unit="s")).floor("min")
    frame = pd.DataFrame({"会员号": rng.integers(1, 60, 400).astype(str),
                          "下单时间": truth.strftime(fmt), "实付金额": rng.integers(1, 500, 400)})
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    tx = crmlab.read_transactions(path)
    assert tx.ledger.dropped == {}
    assert tx.frame["date"].tolist() == list(truth)
    assert tx.ledger.date_format == fmt
    # summarise(path) reads the file the same way: purchase days per customer from pandas
    s = crmlab.summarise(path, observation_end="2024-12-31", time_unit="D")
    days = pd.Series(truth.normalize()).groupby(frame["会员号"].to_numpy()).nunique()
    assert s["frequency"].astype(int).to_dict() == (days - 1).to_dict()


@pytest.mark.parametrize("sep", ["/", ".", "-"])
@pytest.mark.parametrize("time", ["", " 10:30"])
def test_a_year_last_column_whose_late_days_show_day_first_is_read_day_first(sep, time):
    # Days 1-12 read both ways; 13/02 shows the order. With a time of day too.
    dates = [f"01{sep}02{sep}2023{time}", f"03{sep}04{sep}2023{time}",
             f"13{sep}02{sep}2023{time}", "2023-05-01"]
    tx = crmlab.read_transactions(pd.DataFrame({"customer_id": list("abcd"), "date": dates}))
    clock = pd.Timedelta(hours=10, minutes=30) if time else pd.Timedelta(0)
    assert tx.frame["date"].tolist() == [pd.Timestamp(d) + (clock if i < 3 else pd.Timedelta(0))
                                         for i, d in enumerate(("2023-02-01", "2023-04-03",
                                                                "2023-02-13", "2023-05-01"))]
    assert tx.ledger.dropped == {}


def test_dashed_day_first_dates_among_iso_dates_are_read_row_by_row():
    dates = ["2024-05-01", "2024-05-02", "28-05-2024", "2024-05-03", "30-05-2024"]
    tx = crmlab.read_transactions(pd.DataFrame({"customer_id": list("abcde"), "date": dates}))
    assert tx.frame["date"].tolist() == [pd.Timestamp(d) for d in (
        "2024-05-01", "2024-05-02", "2024-05-28", "2024-05-03", "2024-05-30")]
    assert tx.ledger.warnings["date_other_format"] == 2 and tx.ledger.dropped == {}
