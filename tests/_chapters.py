"""Two tiny chapters that follow the notebook conventions and call real crmlab code, shared
by the report, cache-free runtime and privacy tests."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TITLE_ZH = "基于客户价值的测试报告"
TITLE_EN = "A customer-value test report"
SOLUTION_MARKER = "SECRET_SOLUTION_7f3a"


def md(text, *tags):
    return new_markdown_cell(text, metadata={"tags": list(tags)})


def code(text, *tags):
    return new_code_cell(text, metadata={"tags": list(tags)})


def make_alpha(path: Path) -> Path:
    """Chapter 1: CDNOW sample, a ledger, a figure, a table with customer ids, a finding."""
    nb = new_notebook(cells=[
        md("# 客户价值概览\n\n本章考察客户消费的集中度，见@fig:spend 与 @tab:top "
           "[@fader2005counting]。\n\n## 数据与方法\n\n中文叙述段落。", "lang-zh"),
        md("# Customer value overview\n\nThis chapter studies how concentrated spending is; "
           "see @fig:spend and @tab:top [@fader2005counting].\n\n## Data and method\n\n"
           "English narrative paragraph.", "lang-en"),
        code('dataset: str = "cdnow-sample"  # data set\n'
             'observation_end: str = "1998-06-30"  # end of observation\n'
             'calibration_end: str = "1997-09-30"  # end of calibration\n'
             'lang: str = "zh"  # report language\n'
             'seed: int = 42  # random seed\n'
             'top_share: float = 0.2  # share of top customers\n'
             'label: str = "core"  # segment label written into the table\n'
             'fail: bool = False  # fail on purpose (tests)', "parameters"),
        code("import crmlab\nfrom crmlab import notebook as nb\n"
             'ctx = nb.setup(globals(), chapter="01_alpha")', "remove-input"),
        code("tx = crmlab.datasets.load_cdnow(sample=True)\nnb.data_ledger(tx)"),
        code('assert not fail, "failure requested by the test"'),
        code("totals = tx.frame.groupby('customer_id')['amount'].sum()"
             ".sort_values(ascending=False)\n"
             "fig, ax = crmlab.plots.figure('spend', {'zh': '客户消费金额分布', "
             "'en': 'Distribution of spend per customer'}[lang])\n"
             "ax.hist(totals, bins=30)\nnb.show_figure(fig)"),
        code("top = totals.head(5).rename('amount').reset_index()\ntop['segment'] = label\n"
             "nb.show_table(top, 'top', {'zh': '消费最高的客户', 'en': 'Top customers'}[lang])"),
        code("share = totals.head(int(len(totals) * top_share)).sum() / totals.sum()\n"
             "nb.finding('top_share', share, zh='前20%的客户贡献了{value:.1%}的消费额。', "
             "en='The top 20% of customers bring {value:.1%} of spend.')\n"
             "nb.keywords(zh=['客户集中度'], en=['concentration'])"),
        md("**练习 1**：计算前 10% 客户的份额。", "lang-zh", "exercise"),
        md("**Exercise 1**: compute the share of the top 10%.", "lang-en"),  # untagged prompt
        code(f"{SOLUTION_MARKER} = totals.head(int(len(totals) * 0.1)).sum() / totals.sum()\n"
             f"print({SOLUTION_MARKER})", "solution"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path / "01_alpha.ipynb")
    return path / "01_alpha.ipynb"


def make_beta(path: Path) -> Path:
    """Chapter 2: a seeded computation, a cross-chapter reference, a finding."""
    nb = new_notebook(cells=[
        md("# 第二章标题\n\n承接@fig:spend 的分析。\n\n## 模拟\n\n中文。", "lang-zh"),
        md("# Second chapter title\n\nFollowing @fig:spend.\n\n## Simulation\n\nEnglish.",
           "lang-en"),
        code('lang: str = "zh"  # report language\nseed: int = 7  # random seed\n'
             'n: int = 200  # draws\nfail: bool = False  # fail on purpose (tests)', "parameters"),
        code("import numpy as np\nfrom crmlab import notebook as nb\n"
             'ctx = nb.setup(globals(), chapter="02_beta")', "remove-input"),
        code('assert not fail, "failure requested by the test"'),
        code("import pandas as pd\n"
             "plan = pd.DataFrame({f'budget_{i}': [1234567.891 * (i + 1), 2.5] for i in range(9)},"
             " index=pd.Index(['Important value', 'General retention'], name='segment'))\n"
             "plan['objective'] = ['Keep them and reward loyalty with a long sentence of text',"
             " 'Recently inactive big spenders; reach out to bring them back']\n"
             "plan['actions'] = ['Dedicated account manager; VIP benefits; Early access',"
             " 'Proactive call-back; Personalised come-back offer; Check for problems']\n"
             "nb.show_table(plan, 'plan',\n"
             "              {'zh': '宽表：各类策略与预算', 'en': 'WIDE_TABLE_X plan'}[lang])"),
        code("draws = np.random.default_rng(seed).gamma(2.0, 3.0, size=n)\n"
             "nb.finding('mean_draw', float(draws.mean()), zh='模拟均值为{value:.3f}。', "
             "en='The simulated mean is {value:.3f}.')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path / "02_beta.ipynb")
    return path / "02_beta.ipynb"
