"""Generate the five chapter notebooks (the single source of ``notebooks/NN_*.ipynb``).

Run ``python notebooks/_build_notebooks.py`` after editing a chapter below; the notebooks are
written without outputs, with stable cell ids, so a rebuild of unchanged content is a no-op and
``tests/test_notebooks.py`` can check that the committed notebooks are in sync with this file.
Conventions (cell order, tags, ``nb.setup``...) are those of :mod:`crmlab.notebook`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# --------------------------------------------------------------------------------------------
# shared cells
# --------------------------------------------------------------------------------------------
SHARED_PARAMETERS = '''\
dataset: str = "cdnow"  # "cdnow", "cdnow-sample", "simulated-retail", or the path of your own transaction file (CSV/Excel/Parquet)
customer_col: str = ""  # customer id column of your file ("": found by name, e.g. customer_id, 客户编号)
date_col: str = ""  # transaction date column of your file ("": found by name, e.g. date, 交易日期)
amount_col: str = ""  # amount column of your file ("": found by name, e.g. amount, 金额)
observation_end: str = ""  # last day observed, "YYYY-MM-DD" ("": the data set's own; CDNOW 1998-06-30; your file: its last day)
calibration_end: str = ""  # last day of the calibration period ("": the data set's own; CDNOW 1997-09-30; your file: 2/3 of the way)
time_unit: str = "W"  # time unit of frequency, recency and T: "D" (days), "W" (weeks) or "M" (months)
currency: str = ""  # currency of the amounts ("": the data set's own; CDNOW USD)
lang: str = "zh"  # language of labels, tables and findings: "zh" or "en"
seed: int = 42  # random seed (simulations, clustering, bootstraps)
n_simulated: int = 2000  # customers drawn for the data set "simulated-retail"'''

LOAD = '''\
tx = crmlab.datasets.load(dataset, customer=customer_col, date=date_col, amount=amount_col,
                          observation_end=observation_end, calibration_end=calibration_end, currency=currency,
                          n_simulated=n_simulated, seed=seed, require_amount={require_amount})
obs_end, cal_end, money = tx.meta["observation_end"], tx.meta["calibration_end"], tx.meta["currency"]
nb.data_ledger(tx, path=tx.meta.get("path"), name=tx.meta["name"])
print(tx)'''


class Chapter:
    """Accumulates the cells of one notebook."""

    def __init__(self, stem: str):
        self.stem = stem
        self.cells = []

    def md(self, zh: str, en: str, *tags: str) -> None:
        self.cells.append(new_markdown_cell(zh.strip("\n"), metadata={"tags": ["lang-zh", *tags]}))
        self.cells.append(new_markdown_cell(en.strip("\n"), metadata={"tags": ["lang-en", *tags]}))

    def code(self, source: str, *tags: str) -> None:
        meta = {"tags": list(tags)} if tags else {}
        self.cells.append(new_code_cell(source.strip("\n"), metadata=meta))

    def parameters(self, chapter_params: str) -> None:
        self.code(SHARED_PARAMETERS + "\n" + chapter_params.strip("\n"), "parameters")

    def setup(self, *imports: str) -> None:
        extra = "".join(f"{line}\n" for line in imports)
        self.code(f'''\
import pandas as pd
{extra}import crmlab
from crmlab import notebook as nb
ctx = nb.setup(globals(), chapter="{self.stem}")''', "remove-input")

    def load(self, *, require_amount: bool) -> None:
        """The loading cell; ``require_amount`` for chapters that analyse spend (a log without
        amounts then stops with crmlab's DataError)."""
        self.code(LOAD.format(require_amount=require_amount), "remove-input")

    def exercise(self, zh: str, en: str, solution: str) -> None:
        """A prompt (tagged ``exercise``, left out of the thesis) and its ``solution`` cell."""
        self.md(zh, en, "exercise")
        self.code(solution, "solution")

    def notebook(self):
        nb = new_notebook(cells=self.cells)
        nb.metadata = {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        }
        for i, cell in enumerate(nb.cells):
            # the ids nbstripout's git filter writes (it renumbers cells 0, 1, ...), so the
            # committed notebooks equal the generator's output in a fresh clone too
            cell["id"] = str(i)
        return nb


# --------------------------------------------------------------------------------------------
# chapters (defined in the files next to this one would be nicer; one file keeps one source)
# --------------------------------------------------------------------------------------------
CHAPTERS = {}


def chapter(fn):
    CHAPTERS[fn.__name__.lstrip("_")] = fn
    return fn


# ============================================================================================
# 01 理论基础与客户价值
# ============================================================================================
@chapter
def _01_value_theory():
    c = Chapter("01_value_theory")
    c.md(r"""
# 理论基础与客户价值

**研究问题。** 企业的客户价值集中在哪些客户身上？客户价值可以从哪两个视角理解，又如何用数据度量？

**数据。** 默认使用 CDNOW 真实交易数据（Fader、Hardie 与 Lee 的经典数据集，23,570 名客户 1997–1998 年的购买记录）；银行案例与满意度问卷为可复现的模拟数据，其数据生成过程写在 `crmlab.datasets` 的文档中。

**方法。** 洛伦兹曲线与基尼系数度量集中度 [@lorenz1905]；二八定律与 20/80/30 鲸鱼曲线 [@kotler2016]；客户金字塔 [@zeithaml2001]；保持率经济学 [@reichheld1990; @gupta2003]；层次分析法与熵权法确定指标权重 [@saaty1980]，形成客户价值矩阵；问卷的信度分析与回归 [@cronbach1951]。
""", r"""
# Value theory and customer value

**Question.** On which customers is a firm's customer value concentrated? What are the two views of customer value, and how are they measured from data?

**Data.** By default the real CDNOW transaction log (the classic data set of Fader, Hardie and Lee: 23,570 customers' purchases in 1997–1998). The bank case and the satisfaction survey are reproducible simulations whose data-generating process is documented in `crmlab.datasets`.

**Method.** Lorenz curve and Gini coefficient for concentration [@lorenz1905]; the 80/20 rule and Kotler's 20/80/30 whale curve [@kotler2016]; the customer pyramid [@zeithaml2001]; retention economics [@reichheld1990; @gupta2003]; AHP and entropy weights for a customer value matrix [@saaty1980]; reliability and regression for the survey [@cronbach1951].
""")
    c.parameters('''
gross_margin: float = 0.3  # share of revenue left after the cost of goods (whale curve, retention economics)
cost_per_order: float = 2.0  # cost to serve one order, in the data's currency (whale curve)
cost_per_customer: float = 5.0  # fixed cost to serve one customer over the period (whale curve)
top_shares: list = [0.01, 0.05, 0.2]  # top shares of customers in the concentration table
pyramid_cuts: list = [0.01, 0.04, 0.15, 0.80]  # platinum / gold / iron / lead shares of customers
retention: float = 0.6  # yearly retention rate of the retention-economics example
discount_rate: float = 0.1  # yearly discount rate
retention_delta: float = 0.05  # retention gain of the Reichheld-Sasser exercise (5 points)
bank_customers: int = 2000  # customers in the simulated bank case
weighting: str = "entropy"  # indicator weights of the bank case: "entropy" or "equal"
matrix_split: str = "median"  # where the value matrix splits high from low: "median" or "mean"
survey_respondents: int = 400  # respondents in the simulated satisfaction survey''')
    c.setup()
    c.load(require_amount=True)
    c.md(r"""
## 客户价值的两种视角

从**客户**的角度看，客户价值是**顾客让渡价值**：顾客总价值（产品、服务、人员、形象价值）减去顾客总成本（货币、时间、精力与体力成本）[@kotler2016]。从**企业**的角度看，客户价值是**客户关系价值**，即客户在整个关系期内为企业带来的利润，也就是客户终生价值（CLV）。本章先用交易数据度量企业视角的价值及其集中程度，最后用问卷数据度量顾客视角的让渡价值。
""", r"""
## Two views of customer value

Seen from the **customer**, value is *customer delivered value*: total customer value (product, service, personnel and image value) minus total customer cost (money, time, energy and effort) [@kotler2016]. Seen from the **firm**, it is the *customer relationship value*: the profit a customer brings over the whole relationship, the customer lifetime value (CLV). This chapter first measures the firm's view and its concentration from transactions, and ends with the customer's view from a survey.
""")
    c.md(r"""
## 客户价值的集中度

以观察期内每位客户的消费总额作为其价值。下表给出头部客户所占的收入份额（二八定律的检验），@fig:value.lorenz 为洛伦兹曲线，曲线越偏离对角线，价值越集中。
""", r"""
## Concentration of customer value

Each customer's value is their total spend in the observation period. The table gives the share of revenue held by the top customers (the 80/20 check); @fig:value.lorenz is the Lorenz curve: the further it bows from the diagonal, the more concentrated the value.
""")
    c.code('''
summary = crmlab.summarise(tx, observation_end=obs_end, time_unit=time_unit)
revenue = summary["total_amount"]
shares = crmlab.value.concentration(revenue, shares=tuple(top_shares))
gini = crmlab.value.gini(revenue)
nb.show_table(shares, "value.concentration",
              {"zh": "头部客户的收入份额", "en": "Share of revenue held by the top customers"}[ctx.lang])''')
    c.code('nb.show_figure(crmlab.value.plot_lorenz(revenue, lang=ctx.lang))')
    c.md(r"""
**20/80/30 定律与鲸鱼曲线。** 只看收入会高估大客户的贡献：服务每一笔订单、每一位客户都有成本。按参数设定的毛利率与服务成本计算每位客户的利润，按利润从高到低累加，得到 @fig:value.whale。曲线先升到 100% 以上，再因亏损客户而回落；峰值与终点之差就是亏损客户“吃掉”的利润。
""", r"""
**The 20/80/30 rule and the whale curve.** Revenue alone overstates the big customers' contribution, because every order and every customer costs money to serve. With the margin and cost-to-serve parameters, each customer's profit is computed and accumulated from the most to the least profitable, giving @fig:value.whale. The curve rises above 100% and falls back as the loss-making customers are added; the gap between the peak and the end is the profit they take away.
""")
    c.code('''
whale = crmlab.value.whale_curve(revenue, summary["n_transactions"], gross_margin=gross_margin,
                                 cost_per_order=cost_per_order, cost_per_customer=cost_per_customer)
nb.show_figure(crmlab.value.plot_whale(whale, lang=ctx.lang))
nb.show_table(whale.reading(), "value.whale-reading",
              {"zh": "鲸鱼曲线的 20/80/30 读数", "en": "The 20/80/30 reading of the whale curve"}[ctx.lang])''')
    c.md(r"""
## 客户金字塔

按价值把客户分为白金（前 1%）、黄金（其后 4%）、铁（其后 15%）与铅（其余 80%）四层 [@zeithaml2001]，分层比例是参数 `pyramid_cuts`。@fig:value.pyramid 中每层的宽度是其收入份额。
""", r"""
## The customer pyramid

Customers are ranked by value into platinum (top 1%), gold (next 4%), iron (next 15%) and lead (the other 80%) [@zeithaml2001]; the cuts are the parameter `pyramid_cuts`. In @fig:value.pyramid each tier's width is its share of revenue.
""")
    c.code('''
pyr = crmlab.value.pyramid(revenue, cuts=tuple(pyramid_cuts), profit=whale.profit)
tab = pyr.table(ctx.lang)
nb.show_table(tab, "value.pyramid-table")
nb.show_figure(crmlab.value.plot_pyramid(pyr, lang=ctx.lang))''')
    c.md(r"""
## 保持率经济学与“+5%”练习

获取一位新客户的成本是保留一位老客户的 5–10 倍。Reichheld 与 Sasser [@reichheld1990] 发现，保持率提高 5 个百分点可使利润提高 25%–85%。下面以本数据的人均年毛利为边际贡献 m，用 CLV = m·r/(1+d−r) [@gupta2003] 计算保持率从 r 提高到 r+Δ 时客户终生价值的变化。
""", r"""
## Retention economics and the "+5%" exercise

Winning a new customer costs 5–10 times as much as keeping one. Reichheld and Sasser [@reichheld1990] found that 5 more points of retention raised profit by 25%–85%. Below, the data's average yearly margin per customer is the margin m, and CLV = m·r/(1+d−r) [@gupta2003] gives the change in lifetime value when retention rises from r to r+Δ.
""")
    c.code('''
margin_per_year = crmlab.value.margin_per_year(summary, gross_margin)
uplift = crmlab.value.retention_uplift(margin_per_year, retention, discount_rate, delta=retention_delta)
nb.show_table(uplift, "value.retention-uplift",
              {"zh": f"保持率提高 {retention_delta * 100:g} 个百分点的客户终生价值效应（每人，{money}）",
               "en": f"CLV effect of {retention_delta * 100:g} more points of retention (per customer, {money})"}[ctx.lang])''')
    c.md(r"""
## 银行案例：当前价值、潜在价值与客户价值矩阵

当前价值由消费价值、收入贡献和成本（负向指标）构成；潜在价值由信用度、忠诚度（转移成本、交易连续性、关系持续时间）和未来利润构成。指标经最小–最大标准化后按熵权法（或等权、AHP）加权得到两项得分，再以中位数划分成 2×2 的**客户价值矩阵**：顶级、高端、中端和低端客户，每类对应一种服务策略（@fig:value.matrix）。
""", r"""
## The bank case: current value, potential value and the value matrix

Current value is made of consumption value, revenue contribution and cost (a negative indicator); potential value of creditworthiness, loyalty (switching cost, continuity, tenure) and future profit. The indicators are min–max normalised and weighted by the entropy method (or equally, or by AHP) into two scores, which are split at the median into the 2×2 **customer value matrix**: top, high-end, mid and low customers, each with its own service strategy (@fig:value.matrix).
""")
    c.code('''
bank = crmlab.datasets.simulate_bank(bank_customers, seed=seed)
scores = crmlab.value.value_scores(bank, method=weighting)
nb.show_table(scores.weights, "value.bank-weights",
              {"zh": "银行案例的指标权重", "en": "Indicator weights of the bank case"}[ctx.lang])''')
    c.code('''
vm = crmlab.value.value_matrix(scores.scores["current_value"], scores.scores["potential_value"],
                               split=matrix_split, lang=ctx.lang)
matrix_tab = crmlab.value.value_matrix_summary(vm, revenue=bank["revenue_contribution"], lang=ctx.lang)
nb.show_table(matrix_tab, "value.matrix-summary")
nb.show_figure(crmlab.value.plot_value_matrix(vm, lang=ctx.lang))''')
    c.md(r"""
层次分析法（AHP）用两两比较矩阵确定权重，并以一致性比率 CR < 0.1 检验判断是否自洽 [@saaty1980]。下面对当前价值的三项指标给出一个判断矩阵。
""", r"""
The analytic hierarchy process (AHP) derives weights from a pairwise-comparison matrix and checks that the judgements are consistent, with a consistency ratio CR < 0.1 [@saaty1980]. Below is a judgement matrix for the three current-value indicators.
""")
    c.code('''
ahp = crmlab.value.ahp_weights([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]],
                               labels=["consumption_value", "revenue_contribution", "cost"])
tab = ahp.table(ctx.lang)
nb.show_table(tab, "value.ahp")''')
    c.md(r"""
## 顾客让渡价值与满意度问卷

问卷按华为案例的设计测量产品、服务、人员、形象价值与货币、时间、精力成本，以及满意度与忠诚度（李克特五级量表）。先检验各构念的信度（Cronbach's α ≥ 0.7 为可接受）和因子结构，再计算让渡价值（@fig:value.delivered），最后以忠诚度对满意度与感知价值做回归。
""", r"""
## Customer delivered value and the satisfaction survey

Following the Huawei-case design, the survey measures product, service, personnel and image value, money, time and energy costs, satisfaction and loyalty (five-point Likert items). We check each construct's reliability (Cronbach's α ≥ 0.7 is acceptable) and the factor structure, compute delivered value (@fig:value.delivered), and regress loyalty on satisfaction and perceived value.
""")
    c.code('''
survey = crmlab.datasets.simulate_survey(survey_respondents, seed=seed)
tab = crmlab.value.reliability(survey, lang=ctx.lang)
nb.show_table(tab, "value.reliability")
delivered = crmlab.value.delivered_value(survey)
nb.show_figure(crmlab.value.plot_delivered_value(delivered, lang=ctx.lang))''')
    c.code('''
nb.show_figure(crmlab.value.plot_loadings(crmlab.value.factor_loadings(survey, seed=seed), lang=ctx.lang))
ols = crmlab.value.loyalty_regression(survey)
nb.show_table(pd.DataFrame({"coef": ols.params, "p_value": ols.pvalues}), "value.loyalty-ols",
              {"zh": f"忠诚度对满意度与感知价值的回归（R² = {ols.rsquared:.3f}）",
               "en": f"OLS of loyalty on satisfaction and perceived value (R² = {ols.rsquared:.3f})"}[ctx.lang])''')
    c.md(r"""
## 本章结论

以下结论均由上面的计算得出。
""", r"""
## Findings

Every finding below is computed from the results above.
""")
    c.code('''
nb.finding("top20_share", float(crmlab.value.concentration(revenue, shares=(0.2,))["value_share"].iloc[0]),
           zh="收入最高的 20% 客户贡献了 {value:.1%} 的收入。",
           en="The top 20% of customers by revenue bring {value:.1%} of revenue.")
nb.finding("gini", gini, zh="客户收入的基尼系数为 {value:.3f}。",
           en="The Gini coefficient of revenue per customer is {value:.3f}.")
nb.finding("whale_peak", whale.peak_share,
           zh="只服务盈利客户时利润可达现有利润的 {value:.0%}（鲸鱼曲线峰值）。",
           en="Serving only the profitable customers would earn {value:.0%} of current profit (the whale curve's peak).")
nb.finding("platinum_revenue_share", float(pyr.summary["share_revenue"].iloc[0]),
           zh="白金客户（前 1%）贡献了 {value:.1%} 的收入。",
           en="Platinum customers (the top 1%) bring {value:.1%} of revenue.")
nb.finding("retention_clv_change", float(uplift["change"].iloc[-1]),
           zh=f"保持率提高 {retention_delta * 100:g} 个百分点，客户终生价值提高 {{value:.1%}}。",
           en=f"{retention_delta * 100:g} more points of retention raise CLV by {{value:.1%}}.")
nb.finding("bank_top_share", float(matrix_tab.frame["share_customers"].iloc[0]),  # first class: top
           zh="银行案例中顶级客户（当前价值与潜在价值均高）占 {value:.1%}。",
           en="In the bank case, {value:.1%} of customers are top customers (high current and potential value).")
nb.finding("loyalty_on_satisfaction", float(ols.params["satisfaction"]),
           zh="满意度每提高 1 分，忠诚度平均提高 {value:.2f} 分。",
           en="One more point of satisfaction goes with {value:.2f} more points of loyalty.")
nb.keywords(zh=["客户价值", "二八定律", "客户金字塔", "客户价值矩阵", "顾客让渡价值"],
            en=["customer value", "80/20 rule", "customer pyramid", "customer value matrix", "delivered value"])''')
    c.exercise(r"""
## 练习

**练习 1.** 前 10% 的客户贡献了多少收入？用 `crmlab.value.concentration` 计算。
""", r"""
## Exercises

**Exercise 1.** What share of revenue do the top 10% of customers bring? Use `crmlab.value.concentration`.
""", 'crmlab.value.concentration(revenue, shares=(0.1,))')
    c.exercise(r"""
**练习 2.** 把每笔订单的服务成本提高到 5，鲸鱼曲线的峰值如何变化？亏损的后 30% 客户“吃掉”了多少潜在利润？
""", r"""
**Exercise 2.** Raise the cost per order to 5. How does the peak of the whale curve change, and how much of the potential profit do the bottom 30% take away?
""", '''
whale5 = crmlab.value.whale_curve(revenue, summary["n_transactions"], gross_margin=gross_margin,
                                  cost_per_order=5.0, cost_per_customer=cost_per_customer)
whale5.reading()''')
    c.exercise(r"""
**练习 3.** 用 AHP 代替熵权法为银行案例的当前价值定权（用上面的判断矩阵），价值矩阵的四类客户数量有何变化？
""", r"""
**Exercise 3.** Weight the bank case's current value by AHP (the judgement matrix above) instead of entropy. How do the counts of the four value-matrix classes change?
""", '''
ahp_scores = crmlab.value.value_scores(bank, ahp={"current_value": [[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]})
vm_ahp = crmlab.value.value_matrix(ahp_scores.scores["current_value"], ahp_scores.scores["potential_value"],
                                   lang=ctx.lang)
pd.crosstab(vm["label"], vm_ahp["label"])''')
    c.exercise(r"""
**练习 4.** 若保持率只有 0.4，“+5%”带来的客户终生价值提升是更大还是更小？为什么？
""", r"""
**Exercise 4.** With a retention rate of only 0.4, is the CLV gain from "+5%" larger or smaller? Why?
""", 'crmlab.value.retention_uplift(margin_per_year, 0.4, discount_rate, delta=0.05)')
    return c



# ============================================================================================
# 02 RFM 分析
# ============================================================================================
@chapter
def _02_rfm():
    c = Chapter("02_rfm")
    c.md(r"""
# RFM 分析

**研究问题。** 如何用客户最近一次购买（R）、购买频率（F）和购买金额（M）给客户打分、分群？RFM 得分能否预测客户未来的购买？

**数据。** 默认使用 CDNOW 交易数据：以校准期末为分析日计算 RFM，用验证期的实际购买检验其预测力。Case 3-1 的电子产品经销商为模拟数据。

**方法。** 5 点积分法（航空公司示例）[@hughes1994]；经典 10 类 RFM 客户地图与中国教材的 8 类客户模型；多指标加权选出前 20% 的重点客户；以 Spearman 秩相关与提升度表检验 RFM 的预测效度 [@fader2005rfm]。
""", r"""
# RFM analysis

**Question.** How do we score and group customers by recency (R), frequency (F) and monetary value (M)? Do RFM scores predict what customers buy next?

**Data.** By default the CDNOW log: RFM is computed at the end of the calibration period, and the holdout period's actual purchases test its predictive power. The electronics distributor of Case 3-1 is simulated.

**Method.** The 5-point scoring scale (the airline example) [@hughes1994]; the classic 10-segment RFM map and the Chinese textbooks' 8-class model; a multi-criteria selection of the top 20%; Spearman rank correlation and a lift table to test RFM's predictive validity [@fader2005rfm].
""")
    c.parameters("""
n_bins: int = 5  # points per RFM dimension (5: the 5-point scale; 4: quartiles)
score_method: str = "quantile"  # "quantile" scores (ties kept together) or "breaks" (fixed cut points)
rfm_weights: list = [1.0, 1.0, 1.0]  # weights of R, F and M in the weighted score
segment_rules: str = "classic10"  # segment map: "classic10", "quartile5", or the path of a YAML rule file
cn8_split: str = "median"  # where the 8-class model cuts high from low: "median" or "mean"
top_share: float = 0.2  # share of customers selected in Case 3-1
selection_weights: str = "entropy"  # criterion weights in Case 3-1: "entropy" or "equal"
distributor_customers: int = 300  # customers of the simulated distributor (Case 3-1)""")
    c.setup()
    c.load(require_amount=True)
    c.md(r"""
## RFM 表与 5 点积分法

RFM 表每位客户一行：R 为最近一次购买距分析日的天数（越小越好），F 为购买次数，M 为消费总额。航空公司的 5 点积分法把每个维度按客户分位数打 1–5 分（R 反向，5 分为最近购买），三位数字拼成 RFM 编码（如 “545”）。分位数打分时，取值相同的客户总得同一分，结果与数据的行顺序无关。
""", r"""
## The RFM table and 5-point scoring

The RFM table has one row per customer: R is the number of days from the last purchase to the analysis date (lower is better), F the number of purchases and M the total spend. The airline's 5-point scale scores each dimension 1–5 by customer quantile (R reversed: 5 is the most recent) and concatenates them into an RFM code such as "545". Customers with equal values always get equal quantile scores, so the result does not depend on row order.
""")
    c.code("""
table = crmlab.rfm_table(tx, analysis_date=cal_end)
scores = crmlab.rfm.score(table, bins=n_bins, method=score_method, weights=rfm_weights)
nb.show_table(scores.head(10), "rfm.scores",
              {"zh": "RFM 得分示例（前 10 位客户）", "en": "RFM scores (first 10 customers)"}[ctx.lang])
counts = scores[["R", "F", "M"]].melt(var_name="dimension", value_name="score")
nb.show_table(pd.crosstab(counts["score"], counts["dimension"]), "rfm.score-counts",
              {"zh": "各得分的客户数", "en": "Customers per score"}[ctx.lang])""")
    c.md(r"""
## 客户细分：10 类客户地图与 8 类客户模型

规则以数据（YAML）形式保存，可以替换。经典 10 类地图按 R、F、M 得分组合把客户分为“冠军客户”“忠诚客户”等；中国教材的 8 类模型在每个维度上按均值或中位数分高低，得到重要价值、重要发展、重要保持、重要挽留及四类一般客户。@fig:rfm.heatmap 显示不同 R、F 得分组合的平均消费额。
""", r"""
## Segments: the 10-segment map and the 8-class model

Rules are data (YAML) and can be replaced. The classic 10-segment map turns R, F and M scores into "Champions", "Loyal customers" and so on; the 8-class model of the Chinese textbooks splits each dimension into high and low at the mean or median, giving important value, important development, important retention, important win-back and four "general" classes. @fig:rfm.heatmap shows the mean spend for each combination of R and F scores.
""")
    c.code("""
segments = crmlab.rfm.segment(scores, rules=segment_rules, lang=ctx.lang)
segments_tab = crmlab.rfm.segment_summary(segments, revenue=table["monetary"], lang=ctx.lang)
nb.show_table(segments_tab, "rfm.segments-table")
nb.show_figure(crmlab.rfm.plot_segments(segments, revenue=table["monetary"], lang=ctx.lang))""")
    c.code("""
cn8 = crmlab.rfm.segment(scores, rules="cn8", split=cn8_split, lang=ctx.lang)
cn8_tab = crmlab.rfm.segment_summary(cn8, revenue=table["monetary"], lang=ctx.lang)
nb.show_table(cn8_tab, "rfm.cn8")
nb.show_figure(crmlab.rfm.plot_heatmap(scores, lang=ctx.lang))""")
    c.md(r"""
## Case 3-1：多指标选出前 20% 的重点客户

经销商老板同时看四个指标：销售额、销售量（越大越好）、欠款额与采购周期（越小越好）。各指标最小–最大标准化后按熵权法加权，综合得分最高的 20% 客户获得专门服务。
""", r"""
## Case 3-1: the multi-criteria top 20%

The distributor's owner looks at four criteria together: sales value and sales volume (more is better), receivables outstanding and purchase cycle (less is better). The criteria are min–max normalised and weighted by entropy; the 20% of customers with the best combined score get special service.
""")
    c.code("""
distributor = crmlab.datasets.simulate_distributor(distributor_customers, seed=seed)
criteria = {"sales_value": "+", "sales_volume": "+", "receivables": "-", "purchase_cycle": "-"}
top = crmlab.rfm.select_top(distributor, criteria, weights=None if selection_weights == "equal" else selection_weights,
                            share=top_share)
top_sales_share = crmlab.segments.profile(distributor.loc[top.index], top["selected"], features=["sales_value"],
                                          revenue="sales_value").summary.loc[True, "share_revenue"]
sales_top_share = crmlab.value.concentration(distributor["sales_value"], shares=(top_share,))["value_share"].iloc[0]
nb.show_table(top.head(10), "rfm.case31-top",
              {"zh": "Case 3-1：综合得分前 10 位客户", "en": "Case 3-1: the 10 best customers by combined score"}[ctx.lang])""")
    c.md(r"""
## RFM 能预测验证期吗？

用校准期的 RFM 得分预测验证期的购买：若 RFM 有效，得分越高的客户在验证期复购率和人均收入应越高。下表按细分与按得分十分位给出验证期表现，并报告得分与验证期收入的 Spearman 秩相关。
""", r"""
## Does RFM predict the holdout?

The calibration-period RFM scores predict holdout purchases: if RFM works, customers with higher scores should repurchase more and spend more in the holdout period. The tables give holdout performance by segment and by score decile, with the Spearman rank correlation between score and holdout revenue.
""")
    c.code("""
summary = crmlab.summarise(tx, observation_end=obs_end, calibration_end=cal_end, time_unit=time_unit)
validation = crmlab.rfm.validate(scores, summary, by="segment", segments=segments)
nb.show_table(validation.table, "rfm.validation",
              {"zh": "各细分在验证期的表现", "en": "Holdout performance by segment"}[ctx.lang])
nb.show_table(validation.lift, "rfm.lift",
              {"zh": "按 RFM 综合得分分组的验证期提升度", "en": "Holdout lift by RFM score group"}[ctx.lang])""")
    c.md(r"""
## 本章结论
""", r"""
## Findings
""")
    c.code("""
nb.finding("n_customers", int(len(table)), zh="分析日共有 {value:,} 位客户。", en="{value:,} customers at the analysis date.")
nb.finding("first_segment_share", float(segments_tab.frame["share_customers"].iloc[0]),
           zh="细分规则中优先级最高的一类客户占 {value:.1%}。",
           en="The first segment of the rule set holds {value:.1%} of customers.")
nb.finding("important_value_share", float(cn8_tab.frame["share_customers"].iloc[0]),  # first class of cn8
           zh="8 类模型中重要价值客户占 {value:.1%}。",
           en="Important value customers are {value:.1%} of customers in the 8-class model.")
nb.finding("case31_top_sales_share", float(top_sales_share),
           zh="Case 3-1 选出的前 20% 客户占销售额的 {value:.1%}。",
           en="The top 20% chosen in Case 3-1 hold {value:.1%} of sales.")
nb.finding("sales_top_share", float(sales_top_share),
           zh="作为对照，仅按销售额排名的前 20% 客户占销售额的 {value:.1%}。",
           en="For comparison, the top 20% by sales alone hold {value:.1%} of sales.")
nb.finding("rfm_spearman", float(validation.spearman[0]),
           zh="RFM 综合得分与验证期收入的 Spearman 秩相关系数为 {value:.3f}。",
           en="The Spearman correlation of the RFM score with holdout revenue is {value:.3f}.")
nb.keywords(zh=["RFM分析", "客户细分", "八类客户模型"], en=["RFM analysis", "segmentation", "eight-class model"])""")
    c.exercise(r"""
## 练习

**练习 1.** 改用四分位（`bins=4`）打分，并用 pymc-marketing 的 5 类四分位规则 `quartile5` 细分，各类客户占多少？
""", r"""
## Exercises

**Exercise 1.** Score on quartiles (`bins=4`) and segment with pymc-marketing's five-segment quartile rules `quartile5`. What share of customers falls in each segment?
""", """
q_scores = crmlab.rfm.score(table, bins=4)
crmlab.rfm.segment_summary(crmlab.rfm.segment(q_scores, rules="quartile5", lang=ctx.lang), lang=ctx.lang)""")
    c.exercise(r"""
**练习 2.** 8 类模型改用均值分割，重要价值客户的数量如何变化？为什么偏态分布下均值与中位数的结果差别很大？
""", r"""
**Exercise 2.** Split the 8-class model at the mean instead. How does the number of important value customers change, and why do mean and median differ so much for skewed data?
""", """
cn8_mean = crmlab.rfm.segment(scores, rules="cn8", split="mean", lang=ctx.lang)
pd.crosstab(cn8["label"], cn8_mean["label"])""")
    c.exercise(r"""
**练习 3.** 在 Case 3-1 中只看销售额（不考虑欠款和采购周期），选出的前 20% 客户与多指标结果重合多少？
""", r"""
**Exercise 3.** In Case 3-1, rank by sales value alone (ignoring receivables and purchase cycle). How much does the top 20% overlap with the multi-criteria choice?
""", """
by_sales = crmlab.rfm.select_top(distributor, {"sales_value": "+"}, share=top_share)
(by_sales["selected"] & top["selected"].reindex(by_sales.index)).sum() / by_sales["selected"].sum()""")
    c.exercise(r"""
**练习 4.** 按 R 得分（而非细分）分组检验验证期表现，哪个维度的预测力最强？
""", r"""
**Exercise 4.** Group the holdout check by the R score instead of the segment. Which dimension predicts best?
""", """
crmlab.rfm.validate(scores, summary, by="R").table""")
    return c



# ============================================================================================
# 03 客户终生价值建模
# ============================================================================================
@chapter
def _03_clv():
    c = Chapter("03_clv")
    c.md(r"""
# 客户终生价值建模

**研究问题。** 在非契约情境下，客户何时“悄然离开”无从观察。如何预测每位客户未来的购买次数、仍然活跃的概率（P(alive)）和客户终生价值（CLV），并给出区间？契约情境下，如何预测续约率和剩余价值？

**数据。** 默认使用 CDNOW：1997 年 1–3 月首次购买的客户，校准期到 1997-09-30（39 周），验证期到 1998-06-30。另用 Reutterer、Platzer 与 Schröder (2021) 整理的六个基准交易日志，以及 Fader 与 Hardie (2007) 的两组契约客户留存数据。

**方法。** “买到离开”（BTYD）模型：BG/NBD [@fader2005counting]、MBG/NBD [@batislam2007]、Pareto/NBD [@schmittlein1987]，消费金额用 Gamma-Gamma 模型 [@colombo1999]；极大似然估计，delta 方法给出 95% 区间；契约情境用移位贝塔几何（sBG）模型与折现预期剩余寿命（DERL）[@fader2007retention]。
""", r"""
# Customer lifetime value modelling

**Question.** In a non-contractual setting we never see a customer leave. How do we predict each customer's future purchases, the probability that they are still active (P(alive)) and their customer lifetime value (CLV), with intervals? And in a contractual setting, how do we project renewals and residual value?

**Data.** By default CDNOW: the customers who first bought in January–March 1997, with calibration to 1997-09-30 (39 weeks) and holdout to 1998-06-30. Also the six benchmark event logs of Reutterer, Platzer and Schröder (2021), and the two contractual retention cohorts of Fader and Hardie (2007).

**Method.** "Buy till you die" (BTYD) models: BG/NBD [@fader2005counting], MBG/NBD [@batislam2007] and Pareto/NBD [@schmittlein1987], with the Gamma-Gamma model of spend [@colombo1999]; maximum likelihood with 95% delta-method intervals; the shifted-beta-geometric (sBG) model and the discounted expected residual lifetime (DERL) for contracts [@fader2007retention].
""")
    c.parameters("""
models: list = ["bgnbd", "mbgnbd", "paretonbd"]  # purchase models to compare; the first one is used for P(alive) and CLV
penalizer: float = 0.0  # L2 penalty on the model parameters (0: plain maximum likelihood)
horizon: int = 52  # CLV horizon, in periods of time_unit
discount_rate: float = 0.1  # discount rate per rate_unit
rate_unit: str = "Y"  # period the discount rate is quoted per: "D", "W", "M" or "Y"
benchmark_logs: list = ["cdnow", "grocery", "m18", "donations", "office", "dietary"]  # benchmark logs fitted with BG/NBD
retention_cohort: str = "regular"  # contractual cohort for the sBG model: "regular" or "high_end"
fit_years: int = 7  # years of survival data used to fit the sBG model (the rest tests the projection)
contract_discount: float = 0.1  # discount rate per contract period for DERL""")
    c.setup("import crmlab.clv.plots")
    c.load(require_amount=True)
    c.md(r"""
## 校准期与验证期

把观察期分为校准期与验证期：模型只用校准期的数据估计，再用验证期的实际购买检验预测。每位客户的统计量采用 Fader–Hardie 的定义：frequency 为重复购买次数，recency 为首次到最后一次购买的时长，T 为首次购买到校准期末的时长，时间单位由参数 `time_unit` 给出。
""", r"""
## Calibration and holdout

The observation window is split in two: the models are estimated on the calibration period only, and the holdout period's actual purchases test their predictions. Each customer's statistics follow Fader and Hardie: frequency is the number of repeat purchases, recency the time from the first to the last purchase, and T the time from the first purchase to the end of calibration, in the unit of the parameter `time_unit`.
""")
    c.code("""
summary = crmlab.summarise(tx, observation_end=obs_end, calibration_end=cal_end, time_unit=time_unit)
patterns = crmlab.compress(summary)
print(f"{len(summary):,} customers, {len(patterns):,} unique (frequency, recency, T) patterns, "
      f"holdout {summary['duration_holdout'].max():.1f} {time_unit}")""")
    c.md(r"""
## 模型估计与比较

三个购买模型都在唯一的 (frequency, recency, T) 模式上加权估计，因此计算量取决于模式数而不是客户数。下表给出参数估计、标准误与 95% 区间，以及对数似然、AIC、BIC 和验证期预测的平均绝对误差（MAE）、均方根误差（RMSE）与总量偏差 [@fader2005counting]；按校准期购买次数分组比较验证期的实际与预测购买，并对校准期购买次数分布做 χ² 拟合优度检验。
""", r"""
## Estimation and comparison

The three purchase models are fitted on the unique (frequency, recency, T) patterns with weights, so the cost depends on the number of patterns, not of customers. The tables give the estimates, standard errors and 95% intervals, then the log-likelihood, AIC, BIC and the holdout mean absolute error (MAE), root mean squared error (RMSE) and aggregate bias [@fader2005counting]; holdout purchases are compared with predictions by calibration frequency, and a χ² test checks the calibration frequency histogram.
""")
    c.code("""
fitted = {name: crmlab.clv.fit(name, patterns, penalizer=penalizer, seed=seed) for name in models}
nb.show_table(pd.concat({m.name: m.summary(ctx.lang) for m in fitted.values()}), "clv.params",
              {"zh": "购买模型的参数估计", "en": "Parameter estimates of the purchase models"}[ctx.lang])""")
    c.code("""
report = crmlab.clv.holdout_report({m.name: m for m in fitted.values()}, summary, lang=ctx.lang)
nb.show_table(report, "clv.comparison",
              {"zh": "模型比较：拟合优度与验证期预测误差（每位客户的验证期重复购买次数）",
               "en": "Model comparison: fit and holdout errors (repeat purchases per customer)"}[ctx.lang])
best = fitted[models[0]]
by_frequency = crmlab.clv.conditional_by_frequency(best, summary, lang=ctx.lang)
nb.show_table(by_frequency, "clv.conditional",
              {"zh": f"按校准期购买次数分组的验证期购买：实际与预测（{best.name}）",
               "en": f"Holdout purchases by calibration frequency: actual and predicted ({best.name})"}[ctx.lang])
chi2 = crmlab.clv.chi2_frequency(best, summary, lang=ctx.lang)
print(f"chi2 = {chi2.attrs['chi2']:.2f}, df = {chi2.attrs['df']}, p = {chi2.attrs['p_value']:.3g}")""")
    c.md(r"""
**跟踪图。** @fig:clv.tracking 比较累计的、@fig:clv.tracking-incremental 比较每期的实际重复购买次数和模型预测值；竖线是校准期末，其右侧是模型从未见过的验证期。
""", r"""
**Tracking plots.** @fig:clv.tracking compares actual and predicted repeat transactions cumulatively, and @fig:clv.tracking-incremental per period; the vertical line is the end of calibration, and to its right lies the holdout the model never saw.
""")
    c.code("""
track = crmlab.clv.tracking(best, tx, summary, lang=ctx.lang)
nb.show_figure(crmlab.clv.plots.plot_tracking(track, kind="cumulative", lang=ctx.lang), key="clv.tracking")
nb.show_figure(crmlab.clv.plots.plot_tracking(track, kind="incremental", lang=ctx.lang), key="clv.tracking-incremental")""")
    c.md(r"""
## 消费金额：Gamma-Gamma 模型

Gamma-Gamma 模型假设客户的平均消费金额与购买频率相互独立；下面先报告二者的相关系数以检验该假设，再给出参数估计。
""", r"""
## Spend: the Gamma-Gamma model

The Gamma-Gamma model assumes that a customer's average spend is independent of their purchase frequency; we report their correlation to check this before the estimates.
""")
    c.code("""
spend = crmlab.clv.fit("gammagamma", summary)
print(spend.independence_["message"])
nb.show_table(spend.summary(ctx.lang), "clv.gammagamma",
              {"zh": "Gamma-Gamma 模型的参数估计", "en": "Gamma-Gamma estimates"}[ctx.lang])""")
    c.md(r"""
## P(alive) 与客户终生价值（含区间）

用第一个购买模型计算每位客户在校准期末仍然活跃的概率，以及未来 `horizon` 期按 `discount_rate` 折现的 CLV。95% 区间由两个模型参数的协方差经 delta 方法得到。@fig:clv.distribution 是 CLV 的分布。
""", r"""
## P(alive) and CLV with intervals

The first purchase model gives each customer's probability of still being active at the end of calibration, and the CLV of the next `horizon` periods discounted at `discount_rate`. The 95% intervals come from both models' parameter covariances by the delta method. @fig:clv.distribution shows the distribution of CLV.
""")
    c.code("""
p_alive = best.p_alive(summary, interval=True)
clv = best.clv(spend, horizon, discount_rate, data=summary, rate_unit=rate_unit, interval=True)
top_clv = pd.concat({"clv": clv, "p_alive": p_alive}, axis=1).sort_values(("clv", "clv"), ascending=False)
nb.show_table(top_clv.head(10), "clv.top-customers",
              {"zh": f"CLV 最高的 10 位客户（{money}，含 95% 区间）",
               "en": f"The 10 customers with the highest CLV ({money}, with 95% intervals)"}[ctx.lang])""")
    c.code("""
nb.show_figure(crmlab.clv.plots.plot_clv_distribution(clv, lang=ctx.lang), key="clv.distribution")""")
    c.md(r"""
## 六个基准日志

Reutterer、Platzer 与 Schröder (2021) 整理了六个公开交易日志，每个都有约定的校准期与验证期（周为单位，同日购买合并）。下表在每个日志上估计 BG/NBD，显示模型在不同品类上的参数差异。office 与 dietary 两个日志的似然极大值位于参数边界（检测不到流失），crmlab 返回边界解并在说明中注明。
""", r"""
## The six benchmark logs

Reutterer, Platzer and Schröder (2021) curated six public event logs, each with a documented calibration and holdout split (weeks, same-day purchases merged). The table fits BG/NBD on each, showing how the parameters differ across categories. On office and dietary the likelihood peaks on the boundary (no dropout is detected); crmlab returns the boundary solution and says so in the note.
""")
    c.code("""
bench = {name: crmlab.clv.fit("bgnbd", crmlab.compress(crmlab.datasets.benchmark_summary(name)))
         for name in benchmark_logs}
bench_table = crmlab.clv.fit_table(bench, lang=ctx.lang)
nb.show_table(bench_table, "clv.benchmarks",
              {"zh": "六个基准日志上的 BG/NBD 估计", "en": "BG/NBD on the six benchmark logs"}[ctx.lang],
              note=crmlab.datasets.BENCHMARK_SOURCE)""")
    c.md(r"""
## 契约情境：sBG 留存预测与 DERL

契约客户（如银行账户、订阅）的流失可以观察到。sBG 模型假设每位客户每期以固定概率 θ 流失，θ 在客户间服从 Beta 分布，因此整体留存率随时间上升。用前 `fit_years` 年的留存数据估计，预测其后各年（@fig:clv.sbg）；DERL 是一位刚续约客户未来付款期数的折现期望值。
""", r"""
## Contracts: sBG retention projection and DERL

In a contractual setting (bank accounts, subscriptions) churn is observed. The sBG model lets each customer churn with a constant probability θ per period, with θ Beta-distributed across customers, so the aggregate retention rate rises over time. It is fitted on the first `fit_years` years and projects the rest (@fig:clv.sbg); DERL is the discounted expected number of future payments of a customer who has just renewed.
""")
    c.code("""
cohorts = crmlab.datasets.load_retention_cohorts()
sbg = crmlab.clv.fit("sbg", cohorts[retention_cohort].loc[:fit_years], n_customers=cohorts.attrs["cohort_size"])
projection = sbg.project(int(cohorts.index.max()), actual=cohorts[retention_cohort])
derl = sbg.derl(contract_discount)
nb.show_table(projection, "clv.sbg-projection",
              {"zh": "sBG 模型的留存预测与实际值", "en": "sBG projection against actual survival"}[ctx.lang],
              note=cohorts.attrs["source"])""")
    c.code("""
nb.show_figure(crmlab.clv.plots.plot_sbg_projection(projection, fit_periods=fit_years, lang=ctx.lang), key="clv.sbg")""")
    c.md(r"""
## CLV 的构成与驱动因素

CLV 由初次购买、重复购买、交叉销售、服务成本降低、推荐收益与忠诚带来的价值六部分构成；交易数据只能直接度量前两部分，其余需要额外的数据。CLV 的驱动因素包括关系长度、贴现率、保持率、推荐、收入变化与维系成本。下表显示贴现率与预测期长度对客户资产（CLV 之和）的影响。
""", r"""
## CLV components and drivers

CLV has six components: first purchase, repeat purchases, cross-selling, lower service cost, referral revenue and loyalty value; a transaction log measures only the first two directly. Its drivers are the length of the relationship, the discount rate, the retention rate, referrals, changes in revenue and the cost of the relationship. The table shows how the discount rate and the horizon move customer equity (the sum of CLV).
""")
    c.code("""
drivers = crmlab.clv.validation.equity_sensitivity(best, spend, summary, horizons=[horizon // 2, horizon, horizon * 2],
                                                   discount_rates=[0.0, 0.05, 0.1, 0.2], rate_unit=rate_unit)
nb.show_table(drivers, "clv.drivers",
              {"zh": f"不同贴现率（每{rate_unit}）与预测期（{time_unit}）下的客户资产（{money}）",
               "en": f"Customer equity ({money}) by discount rate (per {rate_unit}) and horizon ({time_unit})"}[ctx.lang])""")
    c.md(r"""
## 本章结论
""", r"""
## Findings
""")
    c.code("""
nb.finding("best_model_bic", report["BIC"].idxmin(),
           zh="按 BIC 最优的购买模型是 {value}。", en="The best purchase model by BIC is {value}.")
nb.finding("holdout_mae", float(report[ctx.t("clv.mae")].iloc[0]),
           zh=f"{best.name} 对每位客户验证期购买次数的平均绝对误差为 {{value:.3f}}。",
           en=f"{best.name} predicts each customer's holdout purchases with a mean absolute error of {{value:.3f}}.")
nb.finding("holdout_bias", float(report[ctx.t("clv.bias")].iloc[0]),
           zh=f"{best.name} 对验证期总购买次数的偏差为 {{value:+.1%}}。",
           en=f"{best.name} misses total holdout purchases by {{value:+.1%}}.")
nb.finding("mean_p_alive", float(p_alive["p_alive"].mean()),
           zh="校准期末客户平均仍活跃的概率为 {value:.1%}。",
           en="At the end of calibration the average P(alive) is {value:.1%}.")
nb.finding("total_clv", float(clv["clv"].sum()),
           zh=f"未来 {horizon} 期的客户资产（CLV 之和）为 {{value:,.0f}} {money}。",
           en=f"Customer equity over the next {horizon} periods (sum of CLV) is {{value:,.0f}} {money}.")
nb.finding("sbg_derl", float(derl), zh="sBG 模型下刚续约客户的 DERL 为 {value:.2f} 期。",
           en="Under the sBG model, the DERL of a customer who has just renewed is {value:.2f} periods.")
nb.keywords(zh=["客户终生价值", "BG/NBD模型", "存活概率"], en=["customer lifetime value", "BG/NBD", "P(alive)"])""")
    c.exercise(r"""
## 练习

**练习 1.** 以月为时间单位重新估计 BG/NBD，参数 r、α 如何变化？预测的验证期购买次数变了吗？
""", r"""
## Exercises

**Exercise 1.** Refit BG/NBD with months as the time unit. How do r and α change? Does the predicted number of holdout purchases change?
""", """
monthly = crmlab.summarise(tx, observation_end=obs_end, calibration_end=cal_end, time_unit="M")
bg_m = crmlab.clv.fit("bgnbd", crmlab.compress(monthly))
bg_m.params_, float(bg_m.conditional_expected_purchases(monthly["duration_holdout"].max(), monthly).sum())""")
    c.exercise(r"""
**练习 2.** 只有一次购买（frequency = 0）的客户，P(alive) 是多少？为什么 BG/NBD 认为他们一定活跃，而 Pareto/NBD 不这么认为？
""", r"""
**Exercise 2.** What is P(alive) for customers who bought only once (frequency = 0)? Why does BG/NBD consider them surely alive while Pareto/NBD does not?
""", """
one_time = summary[summary["frequency"] == 0]
{name: float(m.p_alive(one_time).mean()) for name, m in fitted.items()}""")
    c.exercise(r"""
**练习 3.** 用 high_end 客户群估计 sBG 模型，DERL 与 regular 客户群相比如何？
""", r"""
**Exercise 3.** Fit the sBG model on the high_end cohort. How does its DERL compare with the regular cohort's?
""", """
sbg_high = crmlab.clv.fit("sbg", cohorts["high_end"].loc[:fit_years], n_customers=1000)
sbg_high.params_, sbg_high.derl(contract_discount), derl""")
    return c



# ============================================================================================
# 04 客户细分与画像
# ============================================================================================
@chapter
def _04_segments():
    c = Chapter("04_segments")
    c.md(r"""
# 客户细分与画像

**研究问题。** 客户可以按行为自然地分成哪几群？每一群是谁、占多少客户和收入、与其他群有何显著不同？如何用简单的规则向业务人员说明分群结果？

**数据。** 默认使用 CDNOW 全部观察期的交易：每位客户的 RFM 指标，加上 BG/NBD 与 Gamma-Gamma 模型给出的 P(alive) 和未来一年的 CLV（见第 3 章）。B2B 客情统计使用模拟的电子产品经销商客户名单（Case 3-1）。

**方法。** 对数变换并标准化后的 k-means 聚类，以肘部法、轮廓系数与 Calinski–Harabasz 指数选择 k，自助法调整兰德指数检验稳定性；Kruskal–Wallis 检验与卡方检验比较各群；浅层决策树把分群翻译成规则；按价值、潜力与忠诚度三维划分高中低 [@zeithaml2001; @rust2004]。
""", r"""
# Segmentation and profiling

**Question.** Into which groups do customers fall by their behaviour? Who is in each group, what share of customers and revenue does it hold, and what sets it apart? How can the segments be explained in plain rules?

**Data.** By default the whole CDNOW observation period: each customer's RFM measures plus P(alive) and next-year CLV from the BG/NBD and Gamma-Gamma models (chapter 3). The B2B counts use the simulated customer list of the electronics distributor (Case 3-1).

**Method.** k-means on log-transformed, standardised features, with k chosen by the elbow, the silhouette and the Calinski–Harabasz index, and stability measured by the bootstrap adjusted Rand index; Kruskal–Wallis and chi-square tests across segments; a shallow decision tree that turns the segments into rules; high/mid/low tiers of value, potential and loyalty [@zeithaml2001; @rust2004].
""")
    c.parameters("""
cluster_features: list = ["recency", "frequency", "monetary", "clv", "p_alive"]  # features used for clustering
k_min: int = 2  # smallest number of segments tried
k_max: int = 6  # largest number of segments tried
cluster_method: str = "kmeans"  # "kmeans" or "gmm" (Gaussian mixture)
choose_k: str = "silhouette"  # criterion that picks k: "silhouette", "calinski_harabasz" or "elbow"
n_bootstrap: int = 3  # bootstrap refits for the stability index (0: skip)
tree_depth: int = 3  # depth of the decision tree that explains the segments
clv_horizon: int = 52  # CLV horizon, in periods of time_unit
discount_rate: float = 0.1  # yearly discount rate of the CLV
tier_cuts: list = [0.3333, 0.6667]  # quantile cuts between low / mid / high tiers
distributor_customers: int = 300  # customers of the simulated distributor (B2B counts)""")
    c.setup()
    c.load(require_amount=True)
    c.md(r"""
## 细分所用的客户特征

每位客户的特征包括：最近一次购买距今天数（recency）、购买次数（frequency）、消费总额（monetary），以及 BG/NBD 模型给出的存活概率（p_alive）和 CLV（clv）。
""", r"""
## Customer features

Each customer is described by the days since the last purchase (recency), the number of purchases (frequency), total spend (monetary), and the BG/NBD model's probability of being alive (p_alive) and CLV (clv).
""")
    c.code("""
table = crmlab.rfm_table(tx, analysis_date=obs_end)
summary = crmlab.summarise(tx, observation_end=obs_end, time_unit=time_unit)
purchases = crmlab.clv.fit("bgnbd", crmlab.compress(summary), seed=seed)
spend = crmlab.clv.fit("gammagamma", summary)
customers = table.join(pd.DataFrame({
    "p_alive": purchases.p_alive(summary),
    "clv": purchases.clv(spend, clv_horizon, discount_rate, data=summary, rate_unit="Y")}))
nb.show_table(customers.describe().T, "segments.features",
              {"zh": "客户特征的描述统计", "en": "Descriptive statistics of the customer features"}[ctx.lang])""")
    c.md(r"""
## 聚类与 k 的选择

@fig:segments.selection-plot 给出不同 k 下的三个指标；按参数 `choose_k` 指定的准则选定 k。稳定性指数（自助法调整兰德指数）越接近 1，分群越稳定。
""", r"""
## Clustering and the choice of k

@fig:segments.selection-plot shows the three criteria for each k; the criterion named by `choose_k` picks k. The closer the stability index (bootstrap adjusted Rand index) is to 1, the more stable the segments.
""")
    c.code("""
clusters = crmlab.segments.cluster(customers, cluster_features, k=range(k_min, k_max + 1), method=cluster_method,
                                   choose=choose_k, seed=seed, n_bootstrap=n_bootstrap)
tab = clusters.selection_table(ctx.lang)
nb.show_table(tab, "segments.selection")
nb.show_figure(crmlab.segments.plot_selection(clusters, lang=ctx.lang), key="segments.selection-plot")""")
    c.md(r"""
## 客户画像与统计检验

每一群按质心自动命名（如“高价值、活跃”）。下表给出各群的客户占比、收入占比、各特征的均值与中位数以及 CLV 的 95% 区间；检验表报告各特征在群间差异的 Kruskal–Wallis 检验。@fig:segments.profile 是标准化均值的热图。
""", r"""
## Profiles and tests

Each segment is named automatically from its centre (for example "high value, active"). The table gives each segment's share of customers and of revenue, feature means and medians, and CLV with its 95% interval; the test table reports Kruskal–Wallis tests of each feature across segments. @fig:segments.profile is a heatmap of standardised means.
""")
    c.code("""
names = crmlab.segments.name_segments(clusters.centers_, reference=customers, lang=ctx.lang)
segment = clusters.named_labels(names)
profile = crmlab.segments.profile(customers, segment, features=cluster_features, revenue="monetary", value="clv")
nb.show_table(profile.table(ctx.lang), "segments.profile-table")
nb.show_table(profile.tests_table(ctx.lang), "segments.tests")
nb.show_figure(crmlab.segments.plot_profile(profile, lang=ctx.lang), key="segments.profile")""")
    c.md(r"""
## 用决策树解释细分

深度为 `tree_depth` 的决策树把分群改写成“如果……则……”的规则；其准确率说明规则在多大程度上复现了聚类结果。
""", r"""
## Explaining the segments with a tree

A decision tree of depth `tree_depth` restates the segments as if/then rules; its accuracy says how faithfully the rules reproduce the clusters.
""")
    c.code("""
rules, tree_accuracy = crmlab.segments.explain_tree(customers, segment, ["recency", "frequency", "monetary"],
                                                    max_depth=tree_depth, seed=seed, lang=ctx.lang)
print(rules)""")
    c.md(r"""
## 价值、潜力与忠诚度三维分层

按价值（消费总额）、潜力（未来 CLV）与忠诚度（购买次数）各分高、中、低三档，组合成 27 类；下表列出客户最多的组合，每一类对应不同的策略（见第 5 章）。
""", r"""
## Value, potential and loyalty tiers

Customers are high, mid or low on value (total spend), potential (future CLV) and loyalty (number of purchases), giving 27 combinations; the table lists the largest, each of which calls for its own strategy (chapter 5).
""")
    c.code("""
tiers = crmlab.segments.tiers(customers.assign(value=customers["monetary"], potential=customers["clv"],
                                                loyalty=customers["frequency"]), cuts=tuple(tier_cuts),
                              lang=ctx.lang)
tier_counts = tiers["combined"].value_counts().rename("n_customers").to_frame()
nb.show_table(tier_counts.head(10), "segments.tiers",
              {"zh": "价值-潜力-忠诚度组合的客户数（前 10）", "en": "Customers per value-potential-loyalty combination (top 10)"}[ctx.lang])""")
    c.md(r"""
## B2B 客情统计：客户类型与地区

经销商的客户分为行业用户、企业客户、经销商和零售客户，分布在五个地区。下表是客户类型与地区的交叉计数；检验表比较各类型客户的销售额、欠款与采购周期，并用卡方检验判断客户类型与地区是否相关。
""", r"""
## B2B counts: customer type and region

The distributor's customers are industry users, enterprises, distributors and retailers in five regions. The first table counts customers by type and region; the test table compares sales, receivables and purchase cycle across types, with a chi-square test of type against region.
""")
    c.code("""
distributor = crmlab.datasets.simulate_distributor(distributor_customers, seed=seed)
nb.show_table(crmlab.segments.type_region_counts(distributor, lang=ctx.lang), "segments.type-region")
b2b = crmlab.segments.profile(distributor, "customer_type", features=["sales_value", "receivables", "purchase_cycle"],
                              revenue="sales_value", categorical=["region"])
nb.show_table(b2b.tests_table(ctx.lang), "segments.b2b-tests")""")
    c.md(r"""
## 本章结论
""", r"""
## Findings
""")
    c.code("""
nb.finding("k", int(clusters.k_), zh="数据支持把客户分为 {value} 群。", en="The data support {value} segments.")
nb.finding("stability", clusters.stability_, zh="分群的自助法稳定性（调整兰德指数）为 {value:.2f}。",
           en="The bootstrap stability of the segments (adjusted Rand index) is {value:.2f}.")
nb.finding("top_segment_revenue_share", float(profile.summary["share_revenue"].max()),
           zh="收入占比最高的一群贡献了 {value:.1%} 的收入。",
           en="The segment with the largest share of revenue brings {value:.1%} of it.")
nb.finding("tree_accuracy", float(tree_accuracy), zh=f"深度为 {tree_depth} 的决策树规则复现了 {{value:.1%}} 的分群结果。",
           en=f"Tree rules of depth {tree_depth} reproduce {{value:.1%}} of the segment assignments.")
nb.finding("b2b_largest_type_share", float(distributor["customer_type"].value_counts(normalize=True).max()),
           zh="经销商案例中最多的客户类型占 {value:.1%}。",
           en="The most common customer type of the distributor case is {value:.1%} of customers.")
nb.keywords(zh=["客户细分", "客户画像", "聚类分析"], en=["segmentation", "customer profile", "cluster analysis"])""")
    c.exercise(r"""
## 练习

**练习 1.** 用相同的 k 改用高斯混合模型（`method="gmm"`）聚类，两种分群的一致程度（调整兰德指数）是多少？
""", r"""
## Exercises

**Exercise 1.** Cluster with a Gaussian mixture (`method="gmm"`) and the same k. How much do the two partitions agree (adjusted Rand index)?
""", """
from sklearn.metrics import adjusted_rand_score
gmm = crmlab.segments.cluster(customers, cluster_features, k=clusters.k_, method="gmm", seed=seed, n_bootstrap=0)
adjusted_rand_score(clusters.labels_, gmm.labels_)""")
    c.exercise(r"""
**练习 2.** 只用 R、F、M 三个特征（相同的 k）聚类，各群的质心与包含 CLV 和 P(alive) 时有何不同？
""", r"""
**Exercise 2.** Cluster on R, F and M only (same k). How do the segment centres differ from those with CLV and P(alive)?
""", """
rfm_only = crmlab.segments.cluster(customers, ["recency", "frequency", "monetary"], k=clusters.k_, seed=seed, n_bootstrap=0)
rfm_only.centers_""")
    c.exercise(r"""
**练习 3.** 用方差分析（`test="anova"`）代替 Kruskal–Wallis 检验，结论会改变吗？为什么消费金额这类偏态变量更适合非参数检验？
""", r"""
**Exercise 3.** Use ANOVA (`test="anova"`) instead of Kruskal–Wallis. Do the conclusions change? Why suit skewed variables such as spend a non-parametric test better?
""", """
crmlab.segments.profile(customers, segment, features=cluster_features, test="anova").tests""")
    return c



# ============================================================================================
# 05 策略评估
# ============================================================================================
@chapter
def _05_strategy():
    c = Chapter("05_strategy")
    c.md(r"""
# 策略评估

**研究问题。** 针对不同客户群的差异化策略值不值得做？营销预算应如何在客户群之间分配？一次营销活动的真实（增量）效果有多大、该针对哪些客户？提高保持率、挽回流失客户和把服务集中于重点客户，分别能带来多少利润？

**数据。** 客户群与 CLV 来自 CDNOW（第 2–3 章的方法）；营销活动是一个已知真实效应的随机对照实验（模拟）；资源再分配使用 Case 3-1 的经销商数据（模拟）。

**方法。** 以数据表形式给出的分群策略与预算分配；双比例 z 检验、Welch t 检验与自助法 CLV 差异 [@berger1998]；T-learner 增益模型与 Qini 曲线；目标客户比例的利润曲线；马尔可夫客户迁移模型 [@pfeifer2000]；保持率情景 [@reichheld1990] 与获取–保持预算权衡 [@blattberg1996]。
""", r"""
# Strategy evaluation

**Question.** Do differentiated strategies for the customer groups pay? How should a marketing budget be split between the groups? What is a campaign's true (incremental) effect, and whom should it target? How much profit do higher retention, winning back lost customers and focusing service on key customers bring?

**Data.** Segments and CLV come from CDNOW (the methods of chapters 2–3); the campaign is a randomised experiment with a known true effect (simulated); the re-allocation uses the distributor of Case 3-1 (simulated).

**Method.** Strategy tables kept as data, and budget allocation; the two-proportion z-test, Welch's t-test and a bootstrap CLV difference [@berger1998]; T-learner uplift models and Qini curves; profit curves over the share of customers targeted; the Markov migration model [@pfeifer2000]; retention scenarios [@reichheld1990] and the acquisition–retention trade-off [@blattberg1996].
""")
    c.parameters("""
budget: float = 50000.0  # marketing budget split across the RFM classes, in the data's currency
allocation_rule: str = "value_at_stake"  # "value_at_stake", "value", "size", "equal" or "priority"
clv_horizon: int = 52  # CLV horizon, in periods of time_unit
discount_rate: float = 0.1  # yearly discount rate
campaign_customers: int = 10000  # customers in the simulated campaign experiment
uplift_method: str = "t_learner"  # uplift learner: "t_learner" or "class_transformation"
margin_per_response: float = 30.0  # margin earned per incremental response
contact_cost: float = 1.0  # cost of contacting one customer
markov_period: str = "M"  # period of the migration model: "W" or "M"
markov_states: int = 5  # recency states (the last one is "lost")
gross_margin: float = 0.3  # share of spend that is margin (migration model, retention scenario)
winback_shift: float = 0.05  # probability moved from the second-to-last recency state back to "bought" by a win-back campaign
retention: float = 0.6  # yearly retention of the retention scenario
retention_delta: float = 0.05  # retention gain of the scenario (5 points)
acq_ceiling: float = 0.4  # highest acquisition rate any spend can reach (Blattberg-Deighton)
acq_k: float = 0.1  # how fast acquisition responds to spend per prospect
ret_ceiling: float = 0.85  # highest retention rate any spend can reach
ret_k: float = 0.2  # how fast retention responds to spend per customer
distributor_customers: int = 300  # Case 3-1: customers of the simulated distributor
top_share: float = 0.2  # Case 3-1: share of active customers who get premium service
lost_after_days: int = 120  # Case 3-1: days without an order after which a customer counts as lost
n_sims: int = 500  # Case 3-1: simulations for the profit interval""")
    c.setup("from sklearn.model_selection import train_test_split")
    c.load(require_amount=True)
    c.md(r"""
## 分群策略表与预算分配

策略表以数据（YAML）形式保存：每一类客户的目标、措施、渠道与人均成本，使用者可以覆盖。下面按 RFM 八类模型为 CDNOW 客户分群，用 BG/NBD 与 Gamma-Gamma 模型估计每位客户的 CLV 和存活概率，按“风险中的价值”（CLV × 流失概率）分配预算。
""", r"""
## Strategy table and budget allocation

The strategy table is data (YAML): each class's objective, actions, channel and cost per customer, which users can override. CDNOW customers are put into the eight RFM classes, each customer's CLV and P(alive) come from the BG/NBD and Gamma-Gamma models, and the budget is split by the value at stake (CLV × probability of churn).
""")
    c.code("""
table = crmlab.rfm_table(tx, analysis_date=obs_end)
classes = crmlab.rfm.segment(crmlab.rfm.score(table), rules="cn8", lang=ctx.lang)
summary = crmlab.summarise(tx, observation_end=obs_end, time_unit=time_unit)
purchases = crmlab.clv.fit("bgnbd", crmlab.compress(summary), seed=seed)
spend = crmlab.clv.fit("gammagamma", summary)
customers = classes.join(pd.DataFrame({
    "p_alive": purchases.p_alive(summary),
    "clv": purchases.clv(spend, clv_horizon, discount_rate, data=summary, rate_unit="Y")}))
allocation = crmlab.strategy.plan(customers, "rfm8", budget, rule=allocation_rule, value="clv", p_alive="p_alive",
                                  lang=ctx.lang)
nb.show_table(crmlab.strategy.localise_columns(allocation, ctx.lang), "strategy.plan",
              {"zh": f"RFM 八类客户的策略与预算分配（{money}）", "en": f"Strategies and budget by RFM class ({money})"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.budget_plot(allocation, lang=ctx.lang), key="strategy.budget")""")
    c.code("""
churn = crmlab.strategy.churn_value(customers, segment="segment", value="clv", p_alive="p_alive")
nb.show_table(churn, "strategy.churn-value",
              {"zh": "各类客户的流失率与客户流失价值", "en": "Churn rate and churn value by class"}[ctx.lang])""")
    c.md(r"""
## 营销活动的对照实验

随机把客户分到处理组（收到活动）与对照组，比较响应率、消费额和活动后的 CLV（@fig:strategy.forest）。模拟数据的真实平均效应已知，因此可以检查检验是否找回了它。
""", r"""
## The controlled campaign test

Customers were randomly assigned to treatment (received the campaign) or control; we compare response, spend and post-campaign CLV (@fig:strategy.forest). The simulation's true average effect is known, so we can check that the tests recover it.
""")
    c.code("""
campaign = crmlab.datasets.simulate_campaign(campaign_customers, seed=seed)
tests = pd.concat([
    crmlab.strategy.ab_test(campaign, treatment="treatment", outcome="response", kind="proportion", lang=ctx.lang),
    crmlab.strategy.ab_test(campaign, treatment="treatment", outcome="spend", kind="mean", lang=ctx.lang),
    crmlab.strategy.ab_test(campaign, treatment="treatment", outcome="clv_post", kind="clv", seed=seed, lang=ctx.lang),
], ignore_index=True)
nb.show_table(tests, "strategy.ab-tests", {"zh": "活动效果检验", "en": "Campaign tests"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.forest_plot(tests, lang=ctx.lang), key="strategy.forest")""")
    c.md(r"""
## 增益模型与目标客户选择

平均效应掩盖了差异：有的客户因活动而购买，有的本来就会买，有的反而被打扰。增益模型在一半客户上估计每位客户的增量响应，在另一半上用 Qini 曲线评价：按预测增益、按 CLV（已含存活概率 P(alive)）与随机选择三种规则比较（@fig:strategy.qini）。
""", r"""
## Uplift and targeting

The average effect hides differences: some customers buy because of the campaign, some would have bought anyway, and some are put off. An uplift model estimates each customer's incremental response on one half of the customers, and Qini curves evaluate it on the other half, comparing targeting by predicted uplift, by CLV (which already includes P(alive)) and at random (@fig:strategy.qini).
""")
    c.code("""
train, test = train_test_split(campaign, test_size=0.5, random_state=seed)
features = ["recency", "frequency", "monetary_value", "tenure", "age"]
model = crmlab.strategy.uplift(train, treatment="treatment", outcome="response", features=features,
                               method=uplift_method, seed=seed)
test = test.assign(uplift_hat=model.predict(test))
ranking, qini = crmlab.strategy.compare_targeting(test, scores={"uplift": "uplift_hat", "CLV": "clv"},
                                                  treatment="treatment", outcome="response", seed=seed, lang=ctx.lang)
nb.show_table(ranking, "strategy.targeting", {"zh": "目标选择规则的比较", "en": "Targeting rules compared"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.qini_plot(qini, lang=ctx.lang), key="strategy.qini")""")
    c.md(r"""
## 目标客户比例与活动利润

按预测增益从高到低联系客户，联系得越多，增量响应越多，但成本也越高。@fig:strategy.profit 给出不同联系比例下的期望利润及其自助法区间，以及利润最大的联系比例。
""", r"""
## Share targeted and campaign profit

Contacting customers from the highest predicted uplift down, more contacts bring more incremental responses but cost more. @fig:strategy.profit gives expected profit with its bootstrap band for each share contacted, and the profit-maximising share.
""")
    c.code("""
policy = crmlab.strategy.policy_profit(test, score="uplift_hat", margin=margin_per_response, contact_cost=contact_cost,
                                       treatment="treatment", outcome="response", n_boot=200, seed=seed)
nb.show_table(policy.best.to_frame(), "strategy.best-policy",
              {"zh": "利润最大的目标客户比例", "en": "The profit-maximising share targeted"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.profit_plot(policy, lang=ctx.lang), key="strategy.profit")""")
    c.md(r"""
## 马尔可夫客户迁移模型

按距上次购买的期数把客户分为若干状态（0 = 本期购买，最后一个状态 = 流失），由交易数据估计各期之间的转移概率（@fig:strategy.migration），再用矩阵运算求每个起始状态的期望折现价值 [@pfeifer2000]。挽回活动把“即将流失”状态的一部分客户拉回到“本期购买”，比较活动前后的价值。
""", r"""
## The Markov migration model

Customers are in a state given by the periods since their last purchase (0 = bought this period, the last state = lost). The transition probabilities between periods are estimated from the log (@fig:strategy.migration), and matrix algebra gives the expected discounted value of each starting state [@pfeifer2000]. A win-back campaign moves some customers of the state before "lost" back to "bought"; we compare values before and after.
""")
    c.code("""
states = crmlab.strategy.recency_states(tx.frame, period=markov_period, n_states=markov_states, end=obs_end)
transition = crmlab.strategy.estimate_transitions(states, n_states=markov_states)
reward = crmlab.strategy.state_rewards(states, margin=gross_margin, cost=contact_cost)
period_rate = crmlab.units.rate_per_period(discount_rate, per="Y", unit=markov_period)
migration = crmlab.strategy.migration_scenario(transition, reward, period_rate,
                                               {"winback": [(markov_states - 2, 0, winback_shift)]})
nb.show_table(migration, "strategy.migration-values",
              {"zh": f"各状态的客户价值（{money}）：挽回活动前后", "en": f"Value per state ({money}) before and after a win-back campaign"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.migration_heatmap(transition, lang=ctx.lang), key="strategy.migration")""")
    c.md(r"""
## 保持率情景与获取–保持权衡

Reichheld–Sasser 情景：在客户边际贡献与保持率都有不确定性的前提下，保持率提高 `retention_delta` 会使客户资产增加多少（@fig:strategy.equity）。
""", r"""
## Retention scenario and the acquisition–retention trade-off

The Reichheld–Sasser scenario: with uncertain margin and retention, how much does `retention_delta` more retention add to customer equity (@fig:strategy.equity)?
""")
    c.code("""
margin_per_year = crmlab.value.margin_per_year(summary, gross_margin)
scenario = crmlab.strategy.retention_scenario(margin=(margin_per_year, 0.1 * margin_per_year), retention=(retention, 0.03),
                                              discount_rate=discount_rate, delta=retention_delta,
                                              n_customers=float(len(table)), seed=seed)
nb.show_table(scenario, "strategy.retention-scenario",
              {"zh": f"保持率提高的客户资产效应（{money}）", "en": f"Equity effect of higher retention ({money})"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.equity_plot(scenario.loc[["equity_before", "equity_after"]], lang=ctx.lang),
               key="strategy.equity")""")
    c.md(r"""
获取与保持的预算权衡 [@blattberg1996]：获取率与保持率都随投入递减地上升、且各有上限。在每位潜在客户的获取投入与每位老客户的保持投入构成的网格上寻找使客户资产最大的组合；边际贡献的不确定性通过模拟转化为最优投入的区间。
""", r"""
The acquisition–retention budget trade-off [@blattberg1996]: acquisition and retention rates rise with spending, with diminishing returns and a ceiling each. The search over a grid of acquisition spend per prospect and retention spend per customer finds the pair that maximises customer equity; simulating the uncertain margin gives intervals for the optimum.
""")
    c.code("""
tradeoff = crmlab.strategy.acquisition_vs_retention(margin=(margin_per_year, 0.1 * margin_per_year),
                                                    discount_rate=discount_rate, acq_ceiling=acq_ceiling, acq_k=acq_k,
                                                    ret_ceiling=ret_ceiling, ret_k=ret_k, n_draws=200, seed=seed)
nb.show_table(tradeoff["optimum"].T, "strategy.acquisition-retention",
              {"zh": f"客户资产最大的获取与保持投入（{money}）", "en": f"Equity-maximising acquisition and retention spend ({money})"}[ctx.lang])""")
    c.md(r"""
## Case 3-1：资源再分配的模拟

经销商把优质服务集中于综合得分前 20% 的客户、挽回流失的重点客户、其余客户改为标准化低成本服务。效果参数（保持率的提高与降低、挽回成功率）不确定，模拟同时抽取这些参数并对客户自助抽样，得到调整前后利润之差的区间（@fig:strategy.case）。
""", r"""
## Case 3-1: simulating the re-allocation

The distributor concentrates premium service on the top 20% by combined score, wins back lost key customers and serves the rest with a standard low-cost process. The effects (retention gained and lost, win-back success) are uncertain; each simulation draws them and bootstraps the customers, giving an interval for the change in profit (@fig:strategy.case).
""")
    c.code("""
distributor = crmlab.datasets.simulate_distributor(distributor_customers, seed=seed)
distributor = crmlab.strategy.case.case_inputs(distributor, gross_margin=gross_margin, lost_after_days=lost_after_days)
case = crmlab.strategy.reallocation_case(distributor, margin="margin", score="score", retention=0.8, lost="lost",
                                         top_share=top_share, n_sims=n_sims, seed=seed, lang=ctx.lang)
nb.show_table(case.summary, "strategy.case31", {"zh": "资源再分配前后的利润（模拟）", "en": "Profit before and after re-allocation (simulated)"}[ctx.lang])
nb.show_figure(crmlab.strategy.figures.case_plot(case, lang=ctx.lang), key="strategy.case")""")
    c.md(r"""
## 本章结论
""", r"""
## Findings
""")
    c.code("""
nb.finding("response_effect", float(tests.loc[0, "effect"]),
           zh="活动使响应率的绝对值提高了 {value:.1%}（处理组减对照组）。",
           en="The campaign raised the response rate by {value:.1%} in absolute terms (treatment minus control).")
nb.finding("uplift_qini_best", str(ranking.index[0]),
           zh="Qini 曲线下最好的目标选择规则是：{value}。", en="The best targeting rule by the Qini curve is {value}.")
nb.finding("best_fraction", float(policy.best["fraction"]),
           zh="利润最大的做法是联系预测增益最高的 {value:.0%} 客户。",
           en="Profit is highest when the top {value:.0%} of customers by predicted uplift are contacted.")
nb.finding("retention_equity_gain", float(scenario.loc["profit_increase_pct", "mean"]) / 100,
           zh=f"保持率提高 {retention_delta * 100:g} 个百分点，客户资产平均提高 {{value:.1%}}。",
           en=f"{retention_delta * 100:g} more points of retention raise customer equity by {{value:.1%}} on average.")
nb.finding("case31_profit_change", float(case.summary["estimate"].iloc[2]),
           zh=f"Case 3-1 的资源再分配使利润变化 {{value:,.0f}} {money}（模拟均值）。",
           en=f"The Case 3-1 re-allocation changes profit by {{value:,.0f}} {money} (simulated mean).")
nb.finding("top_class_churn_share", float(churn["churn_value_share"].max()),
           zh="流失价值最大的一类客户占全部客户流失价值的 {value:.1%}。",
           en="The class with the largest churn value holds {value:.1%} of all churn value.")
nb.keywords(zh=["策略评估", "增益模型", "客户迁移模型"], en=["strategy evaluation", "uplift modelling", "customer migration"])""")
    c.exercise(r"""
## 练习

**练习 1.** 每联系一位客户的成本提高到 3，利润最大的联系比例如何变化？
""", r"""
## Exercises

**Exercise 1.** Raise the contact cost to 3. How does the profit-maximising share change?
""", """
crmlab.strategy.policy_profit(test, score="uplift_hat", margin=margin_per_response, contact_cost=3.0,
                              treatment="treatment", outcome="response", n_boot=0).best""")
    c.exercise(r"""
**练习 2.** 检测 2 个百分点的响应率提升（对照组响应率 14%），每组至少需要多少客户（α = 0.05，检验力 0.8）？
""", r"""
**Exercise 2.** How many customers per group are needed to detect a 2-point rise in response from a 14% baseline (α = 0.05, power 0.8)?
""", """
crmlab.strategy.sample_size(0.02, kind="proportion", baseline=0.14)""")
    c.exercise(r"""
**练习 3.** 按客户数（`rule="size"`）而不是风险中的价值分配预算，重要价值客户得到的预算有何变化？
""", r"""
**Exercise 3.** Split the budget by the number of customers (`rule="size"`) instead of the value at stake. How does the budget of the important value class change?
""", """
crmlab.strategy.plan(customers, "rfm8", budget, rule="size", value="clv", lang=ctx.lang)[["label", "allocation"]]""")
    return c


# ============================================================================================
def build(out_dir: Path = HERE) -> list[Path]:
    """Write every chapter notebook into ``out_dir`` and return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fn in CHAPTERS.values():
        ch = fn()
        path = out_dir / f"{ch.stem}.ipynb"
        nbformat.write(ch.notebook(), path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
