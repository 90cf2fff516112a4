"""The ``crmlab`` command.

``crmlab data check FILE`` validates a transaction log and prints its ledger; the report
subcommands (``build``, ``handouts``, ``run``, ``new-chapter``...) are registered by
:mod:`crmlab.report.commands`.
Exit codes: 0 success, 2 a user error (bad data or parameters), 1 a failed build.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from . import __version__
from .errors import BuildError, CrmlabError


def _data_check(args: argparse.Namespace) -> int:
    from .io import check_balanced, read_transactions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the remarks are printed from the ledger
        tx = read_transactions(
            args.file, customer=args.customer, date=args.date, amount=args.amount,
            encoding=args.encoding, sheet=args.sheet, date_format=args.date_format,
            returns=args.returns, duplicates=args.duplicates,
            decimal=getattr(args, "decimal", None), timezone=getattr(args, "timezone", None),
        )
    lg = tx.ledger
    print(lg)
    cols = ", ".join(f"{k} ← {v!r}" for k, v in lg.columns.items())
    print(f"  columns: {cols}")
    if lg.encoding:
        why = f" ({lg.encoding_reason})" if lg.encoding_reason else ""
        print(f"  encoding: {lg.encoding}{why}")
    if lg.decimal:
        print(f"  decimal mark: {lg.decimal!r} ({lg.decimal_reason})")
    if lg.timezone:
        print(f"  times converted to: {lg.timezone}")
    if lg.date_format:
        print(f"  date format: {lg.date_format}")
    if len(tx.frame):
        f = tx.frame
        print(f"  {tx.n_customers:,} customers, {f['date'].min():%Y-%m-%d} to "
              f"{f['date'].max():%Y-%m-%d}" + ("" if tx.has_amount else ", no amount column"))
    check_balanced(lg)  # a DataError (exit 2) when rows read != rows kept + rows dropped
    print("ok: rows read = rows kept + rows dropped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmlab",
        description="Customer-value analysis for CRM: check data, build reports and handouts.",
    )
    parser.add_argument("--version", action="version", version=f"crmlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    data = sub.add_parser("data", help="check a transaction log before using it")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    check = data_sub.add_parser(
        "check", help="read FILE, print the ledger (rows read, kept, dropped by reason) and "
                      "the first problems; exit 2 if the file is unusable")
    check.add_argument("file", help="CSV/TSV, Excel (.xlsx) or Parquet transaction log")
    check.add_argument("--customer", help="customer id column (default: found by name)")
    check.add_argument("--date", help="date column (default: found by name)")
    check.add_argument("--amount", help="amount column (default: found by name, or none)")
    check.add_argument("--encoding", help="text encoding (default: detected: UTF-8, UTF-16, "
                                          "GB18030/GBK, cp1252...)")
    check.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    check.add_argument("--date-format", help="strptime format, e.g. %%Y/%%m/%%d")
    check.add_argument("--decimal", choices=(".", ","),
                       help="decimal mark of text amounts (default: detected, e.g. 12,50)")
    check.add_argument("--timezone", help="convert timestamps with an offset to this zone, e.g. "
                                          "Asia/Shanghai (default: keep local time as written)")
    check.add_argument("--returns", default="drop", choices=("drop", "keep", "error"),
                       help="negative amounts: drop and count (default), keep, or error")
    check.add_argument("--duplicates", default="keep", choices=("keep", "drop"),
                       help="exact duplicate rows: keep and count (default), or drop")
    check.set_defaults(func=_data_check)

    # The report subcommands are part of crmlab: a broken install fails here, loudly. Only the
    # argument definitions are imported; the builder loads when a command runs, so
    # `crmlab --help` stays fast.
    from .report.commands import add_commands

    add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(func(args) or 0)
    except BuildError as exc:
        print(f"crmlab: build failed: {exc}", file=sys.stderr)
        return 1
    except CrmlabError as exc:
        print(f"crmlab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("crmlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
