"""ATS files as they come: which header names which field, and the typed columns read (pure).

Japanese ATS exports name their columns 氏名, フリガナ, メールアドレス, 電話番号, 大学, 学部,
卒業年度 and a handful of variants (full-width letters, 「（必須）」, 「氏名（漢字）」, 「携帯電話番号」 …).
A header is compared after NFKC (full-width to half-width), case folding and without spaces;
a trailing required-marker is dropped, and a trailing qualifier in brackets is tried off as well
(「メールアドレス（PC）」 is an email column, 「氏名（カナ）」 stays the reading of the name).
"""

import re
import unicodedata

# field -> header names (compared as `header_key` leaves them)
HEADER_NAMES: dict[str, frozenset[str]] = {
    "name": frozenset({
        "name", "fullname", "full_name", "氏名", "名前", "お名前", "姓名", "氏名(漢字)", "応募者名", "応募者氏名",
        "学生氏名", "候補者名", "学生名"}),
    "name_kana": frozenset({
        "name_kana", "kana", "furigana", "フリガナ", "ふりがな", "カナ", "かな", "セイメイ", "氏名(カナ)",
        "氏名(フリガナ)", "氏名(ふりがな)", "氏名(かな)", "氏名カナ", "氏名フリガナ", "カナ氏名", "フリガナ氏名"}),
    "email": frozenset({
        "email", "e-mail", "mail", "emailaddress", "e-mailaddress", "mailaddress", "メールアドレス", "メール",
        "eメール", "eメールアドレス", "電子メール", "pcメールアドレス", "携帯メールアドレス", "連絡先メールアドレス",
        "メールアドレス1", "メールアドレス(1)"}),
    "phone": frozenset({
        "phone", "tel", "telephone", "mobile", "phonenumber", "電話番号", "電話", "携帯電話番号", "携帯番号",
        "携帯電話", "携帯", "連絡先電話番号", "自宅電話番号", "tel番号", "連絡先", "電話番号1", "電話番号(1)"}),
    "school": frozenset({
        "school", "university", "college", "大学", "大学名", "学校名", "学校", "出身校", "出身大学", "在籍校",
        "在籍大学", "在学校", "最終学歴"}),
    "faculty": frozenset({
        "faculty", "department", "学部", "学部名", "学部・学科", "学部学科", "学部/学科", "学部・学科名", "学科",
        "研究科", "学部・研究科", "専攻"}),
    "graduation_year": frozenset({
        "graduation_year", "graduationyear", "gradyear", "卒業年度", "卒業予定年度", "卒業年", "卒業予定年",
        "卒業予定", "卒年", "卒業予定年月", "卒業年月", "卒業見込み", "卒業見込年度"}),
    "candidate_id": frozenset({"candidate_id", "tsunagu_candidate_id", "tsunagu_id", "tsunaguid"}),
}
_REQUIRED_MARK = re.compile(r"(\((必須|任意|required|optional)\)|【(必須|任意)】|※?必須|[*※])$")
_TRAILING_QUALIFIER = re.compile(r"\([^()]*\)$")


def header_key(header: str) -> str:
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", header)).casefold()
    return _REQUIRED_MARK.sub("", key) or key


def field_of_header(header: str) -> str | None:
    """The field a header names, or None for a free column (ATS ids, notes)."""
    key = header_key(header)
    for candidate in (key, _TRAILING_QUALIFIER.sub("", key)):
        for name, headers in HEADER_NAMES.items():
            if candidate in headers:
                return name
    return None


def recognised_columns(headers: list[str], *, taken: set[str], fields: set[str]) -> dict[str, str]:
    """field -> header for the headers recognised by name, the first one of each field; headers in
    `taken` (mapped by the recruiter) and fields in `fields` (already mapped) are left alone."""
    columns: dict[str, str] = {}
    for header in headers:
        name = field_of_header(header)
        if header in taken or name is None or name in fields or name in columns:
            continue
        columns[name] = header
    return columns


# --- typed columns ---------------------------------------------------------------------------

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                 "九": 9, "壱": 1, "弐": 2, "参": 3}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "r": 2018, "h": 1988, "s": 1925}
_YEAR = re.compile(r"^(?P<era>令和|平成|昭和|r|h|s)?(?P<number>[0-9〇零一二三四五六七八九十百千壱弐参元]+)"
                   r"(年度?|/|-|\.)?(?P<rest>.*)$")
_MONTH_REST = re.compile(r"^([0-9一二三四五六七八九十]{1,2}月?)?(卒業?(見込み?|予定)?)?(度)?$")
YEAR_RANGE = (1990, 2100)


class NotAYear(ValueError):
    pass


def kanji_number(text: str) -> int:
    """二〇二七 (digit by digit) or 二千二十七 (with units) as an int; ValueError if neither."""
    if all(c in _KANJI_DIGITS for c in text):
        return int("".join(str(_KANJI_DIGITS[c]) for c in text))
    total, digit = 0, None
    for c in text:
        if c in _KANJI_DIGITS:
            if digit is not None:
                raise ValueError(text)
            digit = _KANJI_DIGITS[c]
        elif c in _KANJI_UNITS:
            total += (1 if digit is None else digit) * _KANJI_UNITS[c]
            digit = None
        else:
            raise ValueError(text)
    return total + (digit or 0)


def graduation_year(value: str) -> int:
    """A graduation year as ATS files write it: 2027, ２０２７, 2027年度, 2027年3月卒, 2027/03,
    二〇二七年, 二千二十七年度, 令和9年度 (Japanese eras: 令和, 平成, 昭和; 元年 is the first year).
    NotAYear says why otherwise."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()
    match = _YEAR.match(text)
    if match is None or not _MONTH_REST.match(match["rest"]):
        raise NotAYear(f"{value!r} is not a year (write it as 2027 or 2027年度)")
    number = match["number"]
    try:
        year = 1 if number == "元" else int(number) if number.isdigit() else kanji_number(number)
    except ValueError:
        raise NotAYear(f"{value!r} is not a year (write it as 2027 or 2027年度)") from None
    if match["era"]:
        year += _ERAS[match["era"]]
    elif len(number) == 2 and match["rest"].startswith("卒"):
        year += 2000  # 27卒: the class graduating in 2027
    elif number == "元":
        raise NotAYear(f"{value!r} names no era (write it as 2027 or 2027年度)")
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise NotAYear(f"{value!r} is read as {year}, outside {YEAR_RANGE[0]}–{YEAR_RANGE[1]}")
    return year


_KANA = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc・ 　]+$")


def name_kana(value: str) -> str:
    """The reading of a name in katakana (hiragana is converted; half-width katakana widened by NFKC)."""
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value)).strip()
    if not _KANA.match(text):
        raise ValueError(f"{value!r} is not written in kana (フリガナ)")
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)
