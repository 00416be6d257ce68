"""The words of an issue: a suggestion and the legal or standard basis per trigger, in Chinese
(stored with the issue, an officer may edit them) and English (shown when the document is read
in English and the officer left the Chinese text as it was)."""

from __future__ import annotations

from typing import Any

SUGGESTION: dict[str, tuple[str, str]] = {
    "permit_expiry": (
        "排污许可证即将到期，请在有效期届满 30 日前向审批部门提出延续申请。",
        "The discharge permit ends soon: apply for its renewal at least 30 days before it ends.",
    ),
    "selfcheck_overdue": (
        "请尽快完成逾期的自查任务，并核查自查制度的落实情况。",
        "Complete the overdue self-inspection tasks and check that self-inspection is done.",
    ),
    "rectification_due": (
        "整改期限临近，请按期完成整改并上传整改材料。",
        "The rectification deadline is near: finish the work and upload the evidence in time.",
    ),
    "near_limit": (
        "排放浓度多日接近限值，请检查治理设施运行状况，防止超标排放。",
        "Emissions have been close to the limit on many days: check the treatment facilities "
        "to prevent an exceedance.",
    ),
    "maintenance_flags": (
        "维护、校准标记明显多于以往，请检查自动监测设备运行维护情况。",
        "Maintenance and calibration flags are far more frequent than usual: check the "
        "monitoring equipment and its upkeep.",
    ),
    "device_offline": (
        "自动监测设备长时间未上传数据，请尽快恢复联网并说明原因。",
        "The monitoring device sent no data for a long time: restore it and explain why.",
    ),
    "standard_change": (
        "新的排放标准即将实施，请提前评估达标能力并做好设施改造准备。",
        "A stricter standard takes effect soon: assess compliance and prepare upgrades early.",
    ),
    "campaign": (
        "请按专项行动要求开展自查自纠。",
        "Check and correct yourselves as the campaign asks.",
    ),
}

BASIS: dict[str, tuple[str, str]] = {
    "permit_expiry": (
        "《排污许可管理条例》第十四条",
        "Regulations on the Administration of Pollutant Discharge Permits, art. 14",
    ),
    "selfcheck_overdue": (
        "《中华人民共和国环境保护法》第四十二条；企业自查制度",
        "Environmental Protection Law, art. 42; the enterprise self-inspection rules",
    ),
    "rectification_due": (
        "《中华人民共和国环境保护法》第六十条；整改通知",
        "Environmental Protection Law, art. 60; the rectification order",
    ),
    "near_limit": (
        "《排污许可管理条例》第十七条；排污许可证载明的排放限值",
        "Regulations on the Administration of Pollutant Discharge Permits, art. 17; the "
        "permit's limits",
    ),
    "maintenance_flags": (
        "HJ 75-2017、HJ 355-2019 自动监测运行维护要求",
        "HJ 75-2017 and HJ 355-2019, operation and maintenance of automatic monitoring",
    ),
    "device_offline": (
        "《排污许可管理条例》第二十条；HJ 212-2017",
        "Regulations on the Administration of Pollutant Discharge Permits, art. 20; HJ 212-2017",
    ),
    "standard_change": ("新实施的排放标准", "The new emission standard"),
    "campaign": ("专项行动工作方案", "The campaign's work plan"),
}


def suggestion(trigger: str, evidence: dict[str, Any]) -> str:
    if trigger == "campaign" and evidence.get("text"):
        return str(evidence["text"])
    if trigger == "standard_change" and evidence.get("changes"):
        return f"{SUGGESTION[trigger][0]}（{evidence['changes']}）"
    return SUGGESTION[trigger][0]


def basis(trigger: str, evidence: dict[str, Any]) -> str:
    if trigger == "standard_change" and evidence.get("standard"):
        return str(evidence["standard"])
    if trigger == "campaign" and evidence.get("campaign"):
        return f"{evidence['campaign']}{BASIS[trigger][0]}"
    return BASIS[trigger][0]


def in_english(trigger: str, evidence: dict[str, Any], stored: str, kind: str) -> str:
    """The English words of a suggestion (``kind`` "suggestion") or basis, unless an officer
    changed the stored Chinese (then the stored text as written)."""
    table = SUGGESTION if kind == "suggestion" else BASIS
    default = suggestion(trigger, evidence) if kind == "suggestion" else basis(trigger, evidence)
    if stored != default:
        return stored
    if trigger == "campaign" and kind == "suggestion" and evidence.get("text"):
        return str(evidence.get("text_en") or evidence["text"])
    if trigger == "standard_change" and kind == "basis" and evidence.get("standard"):
        return str(evidence["standard"])
    if trigger == "standard_change" and kind == "suggestion" and evidence.get("changes"):
        return f"{table[trigger][1]} ({evidence.get('changes_en') or evidence['changes']})"
    if trigger == "campaign" and kind == "basis" and evidence.get("campaign"):
        return f"{table[trigger][1]}: {evidence['campaign']}"
    return table[trigger][1]
