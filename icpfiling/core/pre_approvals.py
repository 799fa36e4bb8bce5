"""The pre-approval (前置审批) catalogue as dated data with sources (R-W3).

Which service content needs an approval from another authority before filing, which
document proves it, and who issues it. Each entry is in force on
``[effective_from, effective_to)``, like a province rule row: an approval regime that
was abolished keeps its entry, end-dated, so old orders still read what applied to them.

Dates: ``UNDATED`` (2000-01-01) marks "for as long as we know", the convention of
``icpfiling.registry.province_rules`` (its ``UNDATED_EFFECTIVE_FROM``): the sources
state the requirement (or its abolition) without a date. An abolition recorded
without a date ends the entry at that same start, i.e. it does not apply to any order
the portal handles; a province that still asks for the document says so in its own
rule data (``extra_documents``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

UNDATED = date(2000, 1, 1)
_REF = "icp-domain-reference §3.6 (TX-前置; 《互联网信息服务管理办法》第五条)"


@dataclass(frozen=True)
class PreApproval:
    code: str  # the service-content code (icpfiling.core.validators.SERVICE_CONTENT_CHOICES)
    document: str  # the approval document the applicant holds
    authority: object  # who issues it (shown as a hint; the applicant records the actual issuer)
    source: str
    effective_from: date = UNDATED
    effective_to: date | None = None  # exclusive; None = still in force
    note: str = ""

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


CATALOGUE: tuple[PreApproval, ...] = (
    PreApproval("news", "互联网新闻信息服务许可证", _("省级网信办（新闻办）"), _REF),
    PreApproval(
        "publishing",
        "网络出版服务许可证（原互联网出版许可证）",
        _("新闻出版主管部门"),
        _REF,
        note="2016 《网络出版服务管理规定》 renamed the 互联网出版许可证 (inferred)",
    ),
    PreApproval("medicine", "互联网药品信息服务资格证书", _("药品监督管理部门"), _REF),
    PreApproval("culture", "网络文化经营许可证", _("文化和旅游主管部门"), _REF),
    PreApproval("audio_video", "信息网络传播视听节目许可证", _("广播电视主管部门"), _REF),
    PreApproval("finance", "金融监管部门批准文件", _("人民银行、金融监管部门、证监会或基金业协会"), _REF),
    # 网约车: the reference lists 《网络预约出租汽车经营许可证》; the regime starts with the
    # 《网络预约出租汽车经营服务管理暂行办法》 in force from 2016-11-01.
    PreApproval(
        "ride_hailing",
        "网络预约出租汽车经营许可证",
        _("交通运输主管部门（出租汽车行政主管部门）"),
        _REF,
        effective_from=date(2016, 11, 1),
    ),
    # Abolished nationally (the reference: "nationally abolished, check province"), date not
    # recorded: end-dated at the undated start (see the module docstring).
    PreApproval(
        "education",
        "教育主管部门审核同意文件",
        _("教育主管部门"),
        _REF + ": nationally abolished, check province",
        effective_to=UNDATED,
    ),
    # 电子公告服务 (通管局): "abolished nationally" in the reference, date not recorded.
    PreApproval(
        "bbs",
        "电子公告服务专项备案",
        _("通信管理局"),
        _REF + ": 电子公告服务 abolished nationally",
        effective_to=UNDATED,
    ),
)


def pre_approvals_in_force(*, on: date) -> dict[str, PreApproval]:
    """Service-content code -> the approval it needs on ``on``."""
    return {p.code: p for p in CATALOGUE if p.in_force(on)}
