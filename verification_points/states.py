"""The verification-point application's statuses and its transition table: data, no behaviour.

The models store these values, ``applications.workflow`` applies the table and
``applications.notifications`` words the emails from it; all three import this
module, which imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    MATERIAL_REVIEW = "material_review", _("材料初审中")  # provider checks the materials (5 working days)
    SUPPLEMENT = "supplement", _("待补充材料")  # the company must answer before the deadline
    INSPECTION = "inspection", _("待实地考察")  # materials accepted; on-site inspection to do
    RECTIFYING = "rectifying", _("整改中")  # inspection failed; 15 days to rectify and ask again
    REINSPECTION = "reinspection", _("待复查")  # the company asked for a second inspection
    AGREEMENT = "agreement", _("签订协议")  # inspection passed; signed agreement awaited
    TRAINING = "training", _("培训中")  # agreement returned; staff training (2-3 days)
    ACTIVE = "active", _("已开通")  # point and staff accounts created
    WITHDRAWN = "withdrawn", _("已视为放弃")  # answered late (or not at all)
    LAPSED = "lapsed", _("已失效")  # failed re-inspection, or no re-inspection asked in time
    REFUSED = "refused", _("已拒绝")  # false material: refused and blacklisted


# At most one of these per credit code per provider (a partial unique constraint).
OPEN_APPLICATION_STATUSES = (
    ApplicationStatus.MATERIAL_REVIEW,
    ApplicationStatus.SUPPLEMENT,
    ApplicationStatus.INSPECTION,
    ApplicationStatus.RECTIFYING,
    ApplicationStatus.REINSPECTION,
    ApplicationStatus.AGREEMENT,
    ApplicationStatus.TRAINING,
)


A = ApplicationStatus
COMPANY, ADMIN, SYSTEM = "company", "admin", "system"


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    label: object


TRANSITIONS: dict[str, Transition] = {
    "accept": Transition((A.MATERIAL_REVIEW,), A.INSPECTION, (ADMIN,), _("材料初审通过")),
    "request_supplement": Transition((A.MATERIAL_REVIEW,), A.SUPPLEMENT, (ADMIN,), _("要求补充材料")),
    "answer_supplement": Transition((A.SUPPLEMENT,), A.MATERIAL_REVIEW, (COMPANY,), _("已补充材料")),
    "supplement_late": Transition((A.SUPPLEMENT,), A.WITHDRAWN, (SYSTEM, COMPANY), _("逾期未补充，视为放弃")),
    "inspection_pass": Transition((A.INSPECTION, A.REINSPECTION), A.AGREEMENT, (ADMIN,), _("实地考察通过")),
    "inspection_fail": Transition((A.INSPECTION,), A.RECTIFYING, (ADMIN,), _("实地考察未通过，限期整改")),
    "request_reinspection": Transition((A.RECTIFYING,), A.REINSPECTION, (COMPANY,), _("整改完成，申请复查")),
    "rectify_late": Transition((A.RECTIFYING,), A.LAPSED, (SYSTEM, COMPANY), _("逾期未申请复查，申请失效")),
    "reinspection_fail": Transition((A.REINSPECTION,), A.LAPSED, (ADMIN,), _("复查未通过，申请失效")),
    "agreement_signed": Transition((A.AGREEMENT,), A.TRAINING, (ADMIN,), _("已收到签字盖章的协议")),
    "activate": Transition((A.TRAINING,), A.ACTIVE, (ADMIN,), _("核验点已开通")),
    "refuse_false": Transition(
        OPEN_APPLICATION_STATUSES, A.REFUSED, (ADMIN,), _("材料虚假，拒绝并列入黑名单")
    ),
}

# Timeline entries that do not change the state.
EVENT_LABELS = {
    "submit": _("提交申请"),
    "inspection_scheduled": _("已安排实地考察"),
    "agreement_generated": _("已生成合作协议"),
    "training_recorded": _("已记录培训结果"),
}
