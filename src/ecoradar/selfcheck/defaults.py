"""The built-in control point types and a default checklist (zh_CN, with English labels) for
each. Loaded on first use (``templates.ensure_defaults``); an administrator can add types and
issue new template versions later."""

from __future__ import annotations

from typing import Any, Final

BUILTIN_TYPES: Final[tuple[tuple[str, str, str, str], ...]] = (
    # code, name (zh_CN), name (en), problem-register category of its findings
    ("outfall", "排放口", "Outfall", "water"),
    ("wastewater_treatment", "废水处理设施", "Wastewater treatment", "water"),
    ("fluegas_treatment", "废气处理设施", "Flue gas treatment", "air"),
    ("voc_treatment", "VOCs治理设施", "VOC treatment", "air"),
    ("monitoring_room", "在线监测站房", "Monitoring room", "other"),
    ("hazardous_waste_store", "危险废物贮存库", "Hazardous waste store", "hazardous_waste"),
    ("solid_waste_yard", "一般固废堆场", "Solid waste yard", "solid_waste"),
    ("tank_area", "储罐区", "Tank area", "soil"),
    ("rainwater_outlet", "雨水排放口", "Rainwater outlet", "water"),
)


def _yes(code: str, label: str, label_en: str, *, must: bool = True) -> dict[str, Any]:
    return {
        "code": code,
        "kind": "yes_no",
        "label": label,
        "label_en": label_en,
        "required": True,
        "must_be_yes": must,
    }


def _number(
    code: str, label: str, label_en: str, low: float | None, high: float | None, unit: str
) -> dict[str, Any]:
    return {
        "code": code,
        "kind": "number",
        "label": label,
        "label_en": label_en,
        "required": True,
        "min": low,
        "max": high,
        "unit": unit,
    }


def _photo(code: str, label: str, label_en: str) -> dict[str, Any]:
    return {"code": code, "kind": "photo", "label": label, "label_en": label_en, "required": True}


def _text(code: str, label: str, label_en: str) -> dict[str, Any]:
    return {"code": code, "kind": "text", "label": label, "label_en": label_en, "required": False}


_NOTE = _text("note", "其他情况说明", "Other remarks")

DEFAULT_ITEMS: Final[dict[str, list[dict[str, Any]]]] = {
    "outfall": [
        _yes("sign_intact", "排放口标志牌完好", "Outfall sign intact"),
        _yes("no_abnormal_colour", "排水无异常颜色、气味", "No abnormal colour or odour"),
        _number("ph", "出水pH", "Effluent pH", 6, 9, ""),
        _photo("outfall_photo", "排放口现场照片", "Photo of the outfall"),
        _NOTE,
    ],
    "wastewater_treatment": [
        _yes("equipment_running", "处理设施正常运行", "Treatment equipment running"),
        _number("ph", "出水pH", "Effluent pH", 6, 9, ""),
        _yes("sludge_log", "污泥台账已填写", "Sludge log filled in"),
        _yes("dosing_normal", "加药正常", "Chemical dosing normal"),
        _photo("clarifier_photo", "二沉池照片", "Photo of the clarifier"),
        _NOTE,
    ],
    "fluegas_treatment": [
        _yes(
            "equipment_running",
            "脱硫脱硝除尘设施正常运行",
            "Desulphurisation, denitrification and dust removal running",
        ),
        _number("pressure_drop", "除尘器压差", "Filter pressure drop", 500, 2000, "Pa"),
        _yes("no_visible_smoke", "烟囱无可见黑烟", "No visible smoke at the stack"),
        _photo("equipment_photo", "处理设施照片", "Photo of the equipment"),
        _NOTE,
    ],
    "voc_treatment": [
        _yes("equipment_running", "VOCs治理设施正常运行", "VOC treatment running"),
        _yes(
            "activated_carbon_ok",
            "活性炭在更换周期内",
            "Activated carbon within its replacement period",
        ),
        _number(
            "temperature", "燃烧/吸附温度", "Combustion or adsorption temperature", None, None, "℃"
        ),
        _photo("equipment_photo", "治理设施照片", "Photo of the equipment"),
        _NOTE,
    ],
    "monitoring_room": [
        _yes("analyser_running", "在线监测设备正常运行", "Analysers running"),
        _yes("no_alarm", "设备无报警", "No instrument alarm"),
        _yes("maintenance_log", "运维记录已填写", "Maintenance log filled in"),
        _number("room_temperature", "站房温度", "Room temperature", 15, 30, "℃"),
        _photo("room_photo", "站房照片", "Photo of the room"),
        _NOTE,
    ],
    "hazardous_waste_store": [
        _yes("labels_intact", "危废标识、标签完好", "Hazardous waste signs and labels intact"),
        _yes("leak_proof", "防渗、防漏措施完好", "Seepage and leak protection intact"),
        _yes("ledger_filled", "出入库台账已填写", "In/out ledger filled in"),
        _number("stored_tonnes", "贮存量", "Quantity stored", 0, None, "t"),
        _photo("store_photo", "贮存库照片", "Photo of the store"),
        _NOTE,
    ],
    "solid_waste_yard": [
        _yes("covered", "防扬散、防雨措施到位", "Covered against wind and rain"),
        _yes("no_mixing", "无混入危险废物", "No hazardous waste mixed in"),
        _photo("yard_photo", "堆场照片", "Photo of the yard"),
        _NOTE,
    ],
    "tank_area": [
        _yes("no_leak", "储罐及管线无泄漏", "No leaks from tanks and pipes"),
        _yes("bund_intact", "围堰完好、阀门关闭", "Bund intact, drain valve closed"),
        _photo("tank_photo", "储罐区照片", "Photo of the tank area"),
        _NOTE,
    ],
    "rainwater_outlet": [
        _yes("no_discharge_dry", "晴天无排水", "No discharge in dry weather"),
        _yes("valve_closed", "雨水切换阀处于正确位置", "Storm valve in the right position"),
        _photo("outlet_photo", "雨水口照片", "Photo of the outlet"),
        _NOTE,
    ],
}
"""Version 1 of each built-in type's checklist."""

DEFAULT_ITEMS_OTHER: Final[list[dict[str, Any]]] = [
    _yes("normal", "设施运行正常", "Running normally"),
    _photo("photo", "现场照片", "Photo on site"),
    _NOTE,
]
"""Version 1 for a type an administrator adds without items of its own."""
