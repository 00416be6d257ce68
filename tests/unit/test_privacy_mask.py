"""Personal data in free text (pure): what is hidden, what must stay, and that the text around a
hit is kept as written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoradar.privacy.mask import PLACEHOLDER, find, mask, mask_data, mask_optional

# --- what is hidden ---------------------------------------------------------------------------

PHONES = [
    "13812345678",
    "138 1234 5678",
    "138-1234-5678",
    "138.1234.5678",
    "138 - 1234 - 5678",
    "1 3 8 1 2 3 4 5 6 7 8",
    "+86 138 1234 5678",
    "+8613812345678",
    "0086-13812345678",
    "(+86)13812345678",
    "１３８１２３４５６７８",
    "１３８－１２３４－５６７８",
    "＋８６ １３８ １２３４ ５６７８",
    "138\u200b1234\u200b5678",
    "138—1234—5678",
    "0573-82345678",
    "0573 8234 5678",
    "(0573)82345678",
    "（0573）8234-5678",
    "010-62345678",
    "+86 571 8888 6666",
]
EMAILS = [
    "someone@example.com",
    "some.one+river@mail.example.com.cn",
    "someone＠example.com",
    "someone @ example.com",
    "someone[at]example.com",
    "someone [at] example [dot] com",
    "someone(at)example.com",
    "someone（at）example．com",
    "someone【at】example【dot】cn",
    "someone at example dot com",
    "someone AT example DOT com",
    "12345678#qq.com",
    "zhangsan艾特163.com",
    "zhang.san@qq。com",
    "zhang.san@qq点com",
]
IDS = [
    "33040219800101123X",
    "33040219800101123x",
    "330402198001011234",
    "330402 19800101 123X",
    "330402-1980-0101-123X",
    "３３０４０２１９８００１０１１２３Ｘ",
    "330402800101123",
]
IM = [
    "微信：zhang_san88",
    "微信号 wxid_abc123",
    "加我vx zhangsan123",
    "VX：river-2026",
    "v信 lisi2020",
    "wx: abcdef",
    "weixin号是 li_si_2020",
    "wechat: riverwatch",
    "威信 zhangsan",
    "QQ 12345678",
    "QQ号：123456789",
    "扣扣：87654321",
    "企鹅号 87654321",
]
NAMES = [
    ("我叫张三，住在河边", "张三"),
    ("我叫王小明住在三号楼", "王小明"),
    ("本人王强，电话打不通", "王强"),
    ("本人欧阳娜娜。", "欧阳娜娜"),
    ("联系人：李四。", "李四"),
    ("联系人李四电话忙", "李四"),
    ("姓名：赵六", "赵六"),
    ("举报人：钱七", "钱七"),
    ("My name is John Smith.", "John Smith"),
    ("Contact person: Mary Lee", "Mary Lee"),
]


@pytest.mark.parametrize("secret", PHONES + EMAILS + IDS)
def test_phone_numbers_e_mail_addresses_and_id_numbers_are_hidden_keeping_the_text_around(
    secret: str,
) -> None:
    masked = mask(f"河边排污，联系我{secret}谢谢。")
    assert masked == f"河边排污，联系我{PLACEHOLDER}谢谢。"


@pytest.mark.parametrize("secret", PHONES + EMAILS + IDS)
def test_a_hit_at_the_very_start_or_end_of_the_text_is_hidden(secret: str) -> None:
    assert mask(secret) == PLACEHOLDER
    assert mask(f"{secret}（我的）") == f"{PLACEHOLDER}（我的）"


@pytest.mark.parametrize("said", IM)
def test_wechat_and_qq_ids_are_hidden_after_their_keyword(said: str) -> None:
    identifier = said.replace("：", " ").replace(":", " ").split()[-1]
    keyword = said[: said.index(identifier)]
    masked = mask(f"有问题请联系，{said}，谢谢")
    assert masked == f"有问题请联系，{keyword}{PLACEHOLDER}，谢谢"


@pytest.mark.parametrize(("said", "name"), NAMES)
def test_names_introduced_as_names_are_hidden(said: str, name: str) -> None:
    masked = mask(said)
    assert name not in masked
    assert PLACEHOLDER in masked


def test_keyword_phone_numbers_without_an_area_code_are_hidden() -> None:
    assert mask("座机82345678找我") == f"座机{PLACEHOLDER}找我"
    assert mask("电话：8234 5678") == f"电话：{PLACEHOLDER}"
    assert mask("tel 82345678") == f"tel {PLACEHOLDER}"


def test_several_kinds_in_one_text_are_each_hidden_and_the_rest_kept() -> None:
    text = (
        "我叫张三，身份证33040219800101123X，手机１３８ １２３４ ５６７８，"
        "邮箱 zhangsan[at]163[dot]com，微信zhangsan_88。化工厂夜里排黑水，COD 120 mg/L。"
    )
    masked = mask(text)
    assert masked == (
        f"我叫{PLACEHOLDER}，身份证{PLACEHOLDER}，手机{PLACEHOLDER}，"
        f"邮箱 {PLACEHOLDER}，微信{PLACEHOLDER}。化工厂夜里排黑水，COD 120 mg/L。"
    )
    assert [h.kind for h in find(text)] == ["name", "id_card", "phone", "email", "im"]


def test_hits_are_reported_on_the_text_as_written() -> None:
    text = "电话１３８－１２３４－５６７８。"
    (hit,) = find(text)
    assert text[hit.start : hit.end] == "１３８－１２３４－５６７８"
    assert hit.kind == "phone"


# --- what must stay ---------------------------------------------------------------------------

KEPT = [
    "COD 120 mg/L，氨氮 15.3 mg/L，pH 6.5",
    "SO2 138 mg/m³ 超标，流量 1381234 m3/h",
    "2026-11-02",
    "2026-11-02 08:30",
    "2026-11-02T08:30:00+08:00",
    "2026/11/02 13:45:00",
    "2026年11月2日 13:45",
    "08:30-17:30",
    "统一社会信用代码 91330100MA28XXXX1X",
    "914403001922038216",
    "9144030071526726XG",
    "91330100799655058B",
    "排污许可证编号 91330100MA28XXXX1X001P",
    "许可证 914403001922038216001V",
    "12369热线，110，12345",
    "约200米，3号桥下，2#排口",
    "30.274085, 120.155070",
    "31.13812345678",
    "13.5 14.2 15.8 16.1",
    "HJ 212-2017，GB 8978-1996",
    "MN 88888880000001",
    "测试企业1有限公司、杭州华星化工有限公司",
    "Company name: Hangzhou Huaxing Chemical Co., Ltd.",
    "浙A12345 的渣土车",
    "本人于昨天晚上发现",
    "本人发现河边有黑水",
    "本人向你们反映",
    "我叫了保安",
    "我是周边居民",
    "举报人反映河边排污",
    "we have a wechat group",
    "meet at school.We went home",
    "arrive at 10.30",
    "QQ群 12345678",
    "微信公众号",
    "138****5678",
]


@pytest.mark.parametrize("text", KEPT)
def test_dates_measurements_codes_and_ordinary_words_stay(text: str) -> None:
    assert mask(text) == text
    assert find(text) == []


def test_the_unified_social_credit_codes_of_real_companies_survive() -> None:
    for code in ("914403001922038216", "91110000710926094P", "91520000214434146R"):
        assert mask(f"企业（{code}）夜间偷排") == f"企业（{code}）夜间偷排"


def test_eighteen_digits_are_a_credit_code_only_if_they_fail_the_identity_check_digit() -> None:
    # 330402198001011070: a birth date where an identity number has one, but the check
    # character of a credit code, not of an identity number.
    assert mask("代码330402198001011070") == "代码330402198001011070"
    assert mask("身份证号11010519491231002X") == f"身份证号{PLACEHOLDER}"
    assert mask("身份证号330402198001011236") == f"身份证号{PLACEHOLDER}"
    assert mask("身份证号330402198013011236") == "身份证号330402198013011236"  # no 13th month


def test_empty_none_and_nested_data() -> None:
    assert mask("") == ""
    assert mask_optional(None) is None
    assert mask_optional("QQ 12345678") == f"QQ {PLACEHOLDER}"
    data = {"attributes": {"smell": "刺鼻，电话13812345678", "count": 3}, "ids": ["QQ 12345678"]}
    assert mask_data(data) == {
        "attributes": {"smell": f"刺鼻，电话{PLACEHOLDER}", "count": 3},
        "ids": [f"QQ {PLACEHOLDER}"],
    }


# --- properties -------------------------------------------------------------------------------

HAN = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF), max_size=12)
STYLES = (
    "{a}{b}{c}",
    "{a} {b} {c}",
    "{a}-{b}-{c}",
    "{a}.{b}.{c}",
    "+86 {a}{b}{c}",
    "(+86){a}{b}{c}",
)


@given(
    before=HAN,
    after=HAN,
    prefix=st.sampled_from(["13", "14", "15", "16", "17", "18", "19"]),
    rest=st.text("0123456789", min_size=9, max_size=9),
    style=st.sampled_from(range(len(STYLES))),
    full_width=st.booleans(),
)
def test_any_mobile_number_in_any_style_between_any_words_is_hidden(
    before: str, after: str, prefix: str, rest: str, style: int, full_width: bool
) -> None:
    number = prefix + rest
    written = STYLES[style].format(a=number[:3], b=number[3:7], c=number[7:])
    if full_width:
        written = written.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    masked = mask(f"{before}{written}{after}")
    assert masked == f"{before}{PLACEHOLDER}{after}"


@given(st.text(max_size=200))
def test_masking_twice_changes_nothing_more_and_never_fails(text: str) -> None:
    once = mask(text)
    assert mask(once) == once
