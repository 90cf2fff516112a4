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
    ("all_dates_bad.csv", {}, ["all_dates_bad.csv", "'date'", "rows 2, 3, 4", "date_format="]),
    ("mixed_date_formats.csv", {}, ["mixes date formats", "%Y-%m-%d", "%d.%m.%Y", "rows 12"]),
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


def test_timezone_aware_dates_are_converted_to_utc_and_counted(tmp_path):
    path = tmp_path / "tz.csv"
    path.write_text("customer_id,date\n1,2023-01-01T08:00:00+08:00\n2,2023-01-02T00:00:00+00:00\n")
    tx = crmlab.read_transactions(path)
    assert tx.frame["date"].tolist() == [pd.Timestamp("2023-01-01 00:00"), pd.Timestamp("2023-01-02")]
    assert tx.ledger.warnings["timezone_converted"] == 2


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
