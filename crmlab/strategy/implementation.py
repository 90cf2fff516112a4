"""实施与保障: the strategy table turned into an implementation plan with measured KPI baselines.

:func:`implementation_plan` gives, for each segment of a :func:`crmlab.strategy.plan`
allocation, who acts (from the channel), the budget, the timeline (by the order of funding)
and the KPIs to monitor. :func:`kpi_baselines` measures the KPIs on the run's own data before
anything is launched: retention (customers of the calibration period who buy again in the
holdout), repurchase (customers with two or more purchases), cost per contact (the plan's
budget over the customers it reaches) and the campaign ROI (the profit-maximising policy of
:func:`crmlab.strategy.policy_profit`). :func:`safeguards` lists the data, IT and
organisational safeguards. All three return DataFrames; nothing is printed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import i18n
from ..errors import ParameterError

i18n.register({
    "col.owner": {"zh": "执行部门", "en": "Who acts"},
    "col.budget": {"zh": "预算", "en": "Budget"},
    "col.customers_reached": {"zh": "覆盖客户数", "en": "Customers reached"},
    "col.timeline": {"zh": "时间安排", "en": "Timeline"},
    "col.kpis": {"zh": "监控 KPI", "en": "KPIs"},
    "col.kpi": {"zh": "KPI", "en": "KPI"},
    "col.baseline": {"zh": "基线（本数据测得）", "en": "Baseline (measured on this data)"},
    "col.definition": {"zh": "口径", "en": "Definition"},
    "col.area": {"zh": "方面", "en": "Area"},
    "col.measure": {"zh": "保障措施", "en": "Safeguard"},
    "impl.owner.account": {"zh": "客户经理团队", "en": "Account managers"},
    "impl.owner.service": {"zh": "客服中心", "en": "Customer service centre"},
    "impl.owner.crm": {"zh": "CRM 运营组", "en": "CRM operations"},
    "impl.owner.marketing": {"zh": "市场部", "en": "Marketing"},
    "impl.timeline.first": {"zh": "第 1–3 个月启动，按月复盘", "en": "Launch in months 1–3, monthly review"},
    "impl.timeline.second": {"zh": "第 2–6 个月推进，按季度复盘", "en": "Months 2–6, quarterly review"},
    "impl.timeline.third": {"zh": "第 4–12 个月常规运营", "en": "Months 4–12, routine operation"},
    "impl.kpis.default": {"zh": "保持率；复购率；单次接触成本；ROI",
                          "en": "Retention; repurchase; cost per contact; ROI"},
    "impl.kpi.retention": {"zh": "保持率", "en": "Retention"},
    "impl.kpi.repurchase": {"zh": "复购率", "en": "Repurchase rate"},
    "impl.kpi.cost_per_contact": {"zh": "单次接触成本", "en": "Cost per contact"},
    "impl.kpi.roi": {"zh": "活动投资回报率（ROI）", "en": "Campaign ROI"},
    "impl.def.retention": {
        "zh": "校准期有购买的客户中，验证期再次购买的比例",
        "en": "Share of the calibration period's buyers who buy again in the holdout"},
    "impl.def.repurchase": {
        "zh": "观察期内购买两次及以上的客户比例",
        "en": "Share of customers with two or more purchases in the observation window"},
    "impl.def.cost_per_contact": {
        "zh": "策略预算 ÷ 覆盖客户数",
        "en": "Strategy budget ÷ customers reached"},
    "impl.def.roi": {
        "zh": "利润最大的目标策略下：（增量利润 − 成本）÷ 成本",
        "en": "At the profit-maximising targeting policy: (incremental margin − cost) ÷ cost"},
    "impl.area.data": {"zh": "数据", "en": "Data"},
    "impl.area.it": {"zh": "IT 系统", "en": "IT"},
    "impl.area.org": {"zh": "组织与制度", "en": "Organisation"},
    "impl.measure.data1": {
        "zh": "统一客户编号与交易口径，每次运行保留数据台账（读入、剔除与原因）",
        "en": "One customer id and one definition of a transaction; keep the data ledger (rows read, dropped and why) of every run"},
    "impl.measure.data2": {
        "zh": "客户编号假名化，按最小必要原则使用个人信息，遵守《个人信息保护法》",
        "en": "Pseudonymise customer ids and use personal data only as needed, within data-protection law"},
    "impl.measure.it1": {
        "zh": "CRM 系统每月自动重算 RFM、CLV 与细分，结果推送给执行部门",
        "en": "The CRM system recomputes RFM, CLV and segments monthly and sends them to the teams that act"},
    "impl.measure.it2": {
        "zh": "营销活动保留随机对照组，接触与响应记录回流到交易数据",
        "en": "Campaigns keep a random control group; contacts and responses flow back into the data"},
    "impl.measure.org1": {
        "zh": "设立客户价值管理小组（市场、销售、客服、IT），明确各细分的负责人",
        "en": "A customer-value team (marketing, sales, service, IT) with an owner for each segment"},
    "impl.measure.org2": {
        "zh": "KPI 纳入考核，按季度复盘预算分配，依据实测效果调整策略表",
        "en": "KPIs enter performance reviews; the budget split is reviewed quarterly and the strategy table adjusted to measured effects"},
})

_OWNER_WORDS = (
    ("account", ("客户经理", "account manager", "sales", "销售", "拜访", "visit")),
    ("service", ("电话", "phone", "call", "客服")),
    ("crm", ("短信", "sms", "邮件", "email", "e-mail", "app", "微信", "wechat", "push", "会员")),
)


def _owner(channel: str, lang: str) -> str:
    text = str(channel or "").lower()
    for key, words in _OWNER_WORDS:
        if any(w.lower() in text for w in words):
            return i18n.t(f"impl.owner.{key}", lang)
    return i18n.t("impl.owner.marketing", lang)


def implementation_plan(allocation: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Who acts, budget, customers reached, timeline and KPIs for each funded segment.

    Parameters
    ----------
    allocation : DataFrame
        The result of :func:`crmlab.strategy.plan` (columns ``label``, ``allocation``,
        ``customers_covered``, ``channel``), in the order of funding.
    lang : {"zh", "en"}

    Returns
    -------
    DataFrame indexed by the segment label, with ``owner``, ``budget``,
    ``customers_reached``, ``timeline`` and ``kpis``. The third of segments with the largest
    budgets launches first, the next third follows, the rest run routinely.
    """
    i18n.check_lang(lang)
    need = [c for c in ("label", "allocation", "customers_covered", "channel")
            if c not in allocation.columns]
    if need:
        raise ParameterError(f"implementation_plan: allocation lacks {', '.join(need)}; pass the "
                             "result of crmlab.strategy.plan(...).")
    ordered = allocation.sort_values("allocation", ascending=False, kind="stable")
    n = len(ordered)
    rank = np.arange(n)
    phase = np.where(rank < max(1, int(np.ceil(n / 3))), "first",
                     np.where(rank < max(2, int(np.ceil(2 * n / 3))), "second", "third"))
    out = pd.DataFrame({
        "owner": [_owner(c, lang) for c in ordered["channel"]],
        "budget": ordered["allocation"].astype(float).to_numpy(),
        "customers_reached": ordered["customers_covered"].astype(int).to_numpy(),
        "timeline": [i18n.t(f"impl.timeline.{p}", lang) for p in phase],
        "kpis": i18n.t("impl.kpis.default", lang),
    }, index=pd.Index(ordered["label"].astype(str), name="segment"))
    return out


def kpi_baselines(frame: pd.DataFrame, calibration_end, observation_end, *,
                  allocation: pd.DataFrame | None = None, policy=None) -> pd.Series:
    """The implementation KPIs measured on the data before launch.

    Parameters
    ----------
    frame : DataFrame
        Transactions with ``customer_id`` and ``date``.
    calibration_end, observation_end : date-like
        The holdout period lies between them.
    allocation : DataFrame, optional
        A :func:`crmlab.strategy.plan` result, for the cost per contact.
    policy : PolicyResult, optional
        A :func:`crmlab.strategy.policy_profit` result, for the ROI of its best policy.

    Returns
    -------
    Series ``retention``, ``repurchase``, ``cost_per_contact``, ``roi`` (NaN when the input
    for it is not given).
    """
    from ..value.ladder import purchases_between

    cal = purchases_between(frame, end=calibration_end)
    hold = purchases_between(frame, start=calibration_end, end=observation_end)
    retention = float(hold.reindex(cal.index).fillna(0).gt(0).mean()) if len(cal) else np.nan
    total = purchases_between(frame, end=observation_end)
    repurchase = float(total.ge(2).mean()) if len(total) else np.nan
    cpc = np.nan
    if allocation is not None:
        reached = float(allocation["customers_covered"].sum())
        cpc = float(allocation["allocation"].sum()) / reached if reached > 0 else np.nan
    roi = np.nan
    if policy is not None:
        roi = float(policy.best.get("roi", np.nan))
    return pd.Series({"retention": retention, "repurchase": repurchase,
                      "cost_per_contact": cpc, "roi": roi}, name="baseline")


def kpi_table(baselines: pd.Series, lang: str = "zh", currency: str = "") -> pd.DataFrame:
    """The KPI baselines for display: KPI name, measured baseline (text) and definition."""
    from ..narrative import percent

    i18n.check_lang(lang)
    rows = []
    for key in ("retention", "repurchase", "cost_per_contact", "roi"):
        v = baselines.get(key, np.nan)
        if v is None or v != v:
            text = "—"
        elif key == "cost_per_contact":
            text = f"{v:,.2f} {currency}".strip()
        else:
            text = percent(v)
        rows.append((i18n.t(f"impl.kpi.{key}", lang), text, i18n.t(f"impl.def.{key}", lang)))
    return pd.DataFrame(rows, columns=["kpi", "baseline", "definition"]).set_index("kpi")


def safeguards(lang: str = "zh") -> pd.DataFrame:
    """Data, IT and organisational safeguards of the implementation."""
    i18n.check_lang(lang)
    rows = [(i18n.t(f"impl.area.{area}", lang), i18n.t(f"impl.measure.{area}{k}", lang))
            for area in ("data", "it", "org") for k in (1, 2)]
    return pd.DataFrame(rows, columns=["area", "measure"]).set_index("area")
