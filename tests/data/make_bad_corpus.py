"""Writes the bad-input corpus in tests/data/bad/ (run once; the files are committed).

Each file is one kind of user mistake or messy export; tests/test_io.py says what crmlab must
answer for each.
"""

from pathlib import Path

import openpyxl

HERE = Path(__file__).parent / "bad"
HERE.mkdir(exist_ok=True)


def text(name, body, encoding="utf-8"):
    (HERE / name).write_bytes(body.encode(encoding))


text("missing_customer_column.csv", "date,amount\n2023-01-01,10\n2023-01-02,12\n")
(HERE / "empty.csv").write_bytes(b"")
text("header_only.csv", "customer_id,date,amount\n")
(HERE / "not_a_table.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
text("all_dates_bad.csv", "customer_id,date,amount\n1,soon,10\n2,n/a,12\n3,tomorrow,5\n")
text("mixed_date_formats.csv", "customer_id,date,amount\n"
     + "".join(f"{i},2023-01-{i:02d},10\n" for i in range(1, 11))
     + "".join(f"{i},{i - 10:02d}.02.2023,10\n" for i in range(11, 21)))
# 2024/03/05 14:22:10 with a few 2024年3月5日 among them (two systems, one log): both readable
text("mixed_slash_and_chinese_dates.csv", "客户编号,下单时间,实付金额\n"
     + "".join(f"C{i % 7},2024/03/{i:02d} 14:22:10,10\n" for i in range(1, 21))
     + "C1,2024年3月21日,12\nC2,2024年3月22日 09:05:00,13\nC3,2024-03-23,14\n")
# ISO dates next to 15.02.2023-style ones: the day (above 12) shows the order
text("mixed_iso_and_dotted_dates.csv", "customer_id,date,amount\n"
     + "".join(f"{i},2023-01-{i:02d},10\n" for i in range(1, 11))
     + "".join(f"{i},{i:02d}.02.2023,10\n" for i in range(11, 21)))
text("gbk_chinese_headers.csv", "客户编号,交易日期,实付金额,门店\n"
     "A001,2023-01-05,120.5,北京一店\nA001,2023-02-11,88,北京一店\nA002,2023-01-20,45.0,上海店\n"
     "A003,2023-03-02,300,广州店\n", encoding="gbk")
text("utf8_bom_chinese.csv", "会员号,下单时间,交易金额\nM1,2023/01/05 10:30,\"¥1,200.00\"\n"
     "M2,2023/01/06 11:00,￥35.5\nM1,2023/02/01 09:15,60\n", encoding="utf-8-sig")
text("non_numeric_amount.csv", "customer_id,date,amount\n1,2023-01-01,10\n2,2023-01-02,abc\n"
     "3,2023-01-03,12.5\n4,2023-01-04,\n")
text("amount_all_text.csv", "customer_id,date,amount\n1,2023-01-01,ten\n2,2023-01-02,abc\n")
text("returns.csv", "customer_id,date,amount\n1,2023-01-01,10\n1,2023-01-05,-10\n2,2023-01-02,30\n"
     "2,2023-01-09,-5\n3,2023-01-03,0\n")
text("missing_ids.csv", "customer_id,date,amount\n1,2023-01-01,10\n,2023-01-02,5\n"
     "  ,2023-01-03,7\n2,2023-01-04,8\n")
text("ragged.csv", "customer_id,date,amount\n1,2023-01-01,10\n2,2023-01-02,5,extra,fields\n")
text("tz_mixed.csv", "customer_id,date,amount\n1,2023-01-01T10:00:00+08:00,10\n"
     "2,2023-01-02T11:00:00,5\n3,2023-01-03T12:00:00+08:00,7\n")
text("not_excel.xlsx", "customer_id,date,amount\n1,2023-01-01,10\n")
(HERE / "corrupt.parquet").write_bytes(b"PAR1" + b"garbage" * 20)
text("duplicates.csv", "customer_id,date,amount\n1,2023-01-01,10\n1,2023-01-01,10\n"
     "2,2023-01-02,5\n2,2023-01-02,5\n2,2023-01-02,5\n")
text("one_extra_field.csv", "customer_id,date,amount\n1,2023-01-01,10,x\n2,2023-01-02,5,y\n")
text("semicolon_decimal.csv", "Kunde;Datum;Betrag\n1;05.01.2023;12,50\n2;17.01.2023;1.234,56\n")
# decimal points and decimal commas in one column: refused, never guessed
text("mixed_decimal_marks.csv", 'customer_id,date,amount\n1,2023-01-01,12.50\n2,2023-01-02,"7,25"\n')
# Excel's "Unicode text" export: UTF-16 with a byte-order mark, tab-separated
text("excel_unicode_text.txt", "会员号\t下单时间\t实付金额\nM1\t2023-01-05\t12.5\n"
     "M2\t2023-01-06\t8\nM1\t2023-02-01\t30\n", encoding="utf-16")
# cp1252 (Western Windows) text: must not be decoded as GB18030 ("M黮ler")
text("cp1252_names.csv", "customer_id,date,amount\nMüller,2023-01-05,10\nMüller,2023-02-05,12\n"
     "Gómez,2023-01-07,5\n", encoding="cp1252")
# Chinese local time with an offset, near midnight: the wall-clock date must be kept
text("tz_offsets.csv", "customer_id,date,amount\n1,2024-01-01T01:00:00+08:00,10\n"
     "2,2023-12-31T23:30:00+08:00,5\n3,2024-01-01T00:00:00+08:00,7\n")

wb = openpyxl.Workbook()
ws = wb.active
ws.title = "销售明细"
ws.append(["2023年客户交易明细表（导出自ERP）"])
ws.append([])
ws.append(["客户编号", "交易日期", "交易金额", "地区"])
import datetime as dt

for i, (c, d, a, r) in enumerate([("K01", dt.date(2023, 1, 3), 100.0, "华东"),
                                   ("K02", dt.date(2023, 1, 9), 250.5, "华南"),
                                   ("K01", dt.date(2023, 2, 14), 80.0, "华东"),
                                   (None, dt.date(2023, 2, 20), 10.0, "华北"),
                                   ("K03", "2023-13-45", 60.0, "西南")]):
    ws.append([c, d, a, r])
wb.save(HERE / "title_row.xlsx")

wb = openpyxl.Workbook()
wb.active.title = "empty"
wb.save(HERE / "empty_sheet.xlsx")
print(sorted(p.name for p in HERE.iterdir()))
