""""Why you": a scout's reason must refer to something of hers. Pure, no I/O.

A reason passes when it names something from her profile (school, faculty, self-PR, job
types and languages, industries, the events she attended), or when the recruiter answers
"what in her profile made you write?" explicitly. Text that is not words (digits,
punctuation, one character repeated) is refused either way, and so is an answer made only
of stock phrases.

Matching. Both texts are NFKC-normalised and case-folded. English is matched by words
(a word and its longer form count as the same: robot / robotics). Japanese has no spaces:
her text is cut into runs of kanji and katakana (hiragana is mostly grammar), and a run
of hers is found in the reason as a substring, or, for runs of four characters or more,
when the reason shares two of its character bigrams ("ロボット研究" in "ロボットの研究").
Words every scout uses (company, experience, 企業, 経験 …) never count as hers.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

ASK = ('name something of hers (her school, faculty, self-PR, skills, industries or an event she attended), '
       'or answer "what in her profile made you write?" in what_in_her_profile')

# Words that say nothing about one student: stock phrases of scouts, and the names of profile fields.
GENERIC_EN = frozenset("""
a about after again all also am an and any are as at be been being but by can could dear did do does
doing for from get got had has have having he hello her here hers herself hi him his how i if in into is
it its just like look looking many may me more most much my no not now of on one only or our ours out
please really saw see seen she so some such than that the their them then there these they think this
those to too us very want was we well were what when where which who why will with would you your yours
company companies team teams fit fits fitting good great perfect ideal excellent amazing wonderful nice
profile profiles student students candidate candidates person people university college school faculty
department major experience experiences skill skills background talent talents career careers job jobs
work works working opportunity opportunities position positions role roles future growth grow interest
interested interesting impressed impressive join joining together chance potential business industry
industries field strong passion passionate believe feel felt thought read reading contact message scout
scouting enjoy talk talking meet meeting learn learning abilities ability best new year years time
""".split())
GENERIC_JA = frozenset("""
企業 会社 弊社 当社 御社 貴社 経験 興味 学生 仕事 活躍 魅力 成長 将来 一緒 自分 大学 学部 学科 研究科 大学院
プロフィール 拝見 連絡 募集 採用 面談 面接 是非 皆様 貴方 貴女 人材 優秀 可能性 能力 素晴 期待 応募 機会
職種 業界 内容 知識 実績 研究 開発 技術 人柄 姿勢 意欲 熱意 情報 記載 内定 選考 話 私 私達 私共 今回 今後
経歴 大変 一度 御縁 素敵 様々 色々 多数 全国 ポテンシャル チーム メンバー スカウト メッセージ キャリア
""".split())

_WORD = re.compile(r"[a-z][a-z0-9+#]*")
_RUN = re.compile(r"[\u3005\u3400-\u4dbf\u4e00-\u9fff\u30a1-\u30fa\u30fc]{2,}")
_REPEATED_UNIT = re.compile(r"(.{1,6}?)\1{2,}")
LANGUAGE_NAMES = {
    "ja": ("japanese", "日本語"), "en": ("english", "英語"), "zh": ("chinese", "中国語"),
    "ko": ("korean", "韓国語"), "fr": ("french", "フランス語"), "de": ("german", "ドイツ語"),
    "es": ("spanish", "スペイン語"), "vi": ("vietnamese", "ベトナム語"),
}


@dataclass(frozen=True)
class HerProfile:
    """What scout knows of her that a reason may refer to."""

    school: str | None = None
    faculty: str | None = None
    self_pr: str | None = None
    industries: tuple[str, ...] = ()
    job_types: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()  # ISO 639 codes
    events_attended: tuple[str, ...] = ()  # event titles

    def texts(self) -> list[str]:
        languages = [name for code in self.languages for name in LANGUAGE_NAMES.get(code, ())]
        return [t for t in (self.school, self.faculty, self.self_pr, *self.industries, *self.job_types,
                            *languages, *self.events_attended) if t]


class NotWhyYou(ValueError):
    """The reason does not say why this student; the message tells the recruiter what is missing."""


def check_why_you(reason: str, her: HerProfile, *, what_in_her_profile: str | None = None) -> None:
    """Raise NotWhyYou (naming the field and what is missing) unless the reason refers to her."""
    _check_words("reason", reason)
    if refers_to_her(reason, her):
        return
    answer = (what_in_her_profile or "").strip()
    if answer:
        _check_words("what_in_her_profile", answer)
        if not content_terms(answer):
            raise NotWhyYou(f"what_in_her_profile: only stock phrases; {ASK}")
        return
    what = "is a generic sentence that" if not content_terms(reason) else "names nothing of her profile:"
    if what.endswith("that"):
        raise NotWhyYou(f"reason: {what} could go to anyone; {ASK}")
    raise NotWhyYou(f"reason: {what} {ASK}")


def refers_to_her(reason: str, her: HerProfile) -> bool:
    """Does the reason name a term of her profile (a word, or a Japanese run or its bigrams)?"""
    text = _normalized(reason)
    words = set(_WORD.findall(text))
    grams = _bigrams(text) - _GENERIC_BIGRAMS
    for term in {t for source in her.texts() for t in content_terms(source)}:
        if _WORD.fullmatch(term):
            if any(_same_word(term, word) for word in words):
                return True
        elif term in text or (len(term) >= 4 and len(_bigrams(term) & grams) >= 2):
            return True
    return False


def content_terms(text: str) -> set[str]:
    """The words and Japanese runs of a text that are not stock words."""
    normalized = _normalized(text)
    words = {w for w in _WORD.findall(normalized) if len(w) >= 3 and w not in GENERIC_EN}
    runs = {r for r in _RUN.findall(normalized) if _GENERIC_RUN.sub("", r)}
    return words | runs


def _check_words(field: str, text: str) -> None:
    characters = [c for c in _normalized(text) if c.isalnum()]
    if not any(c.isalpha() for c in characters):
        raise NotWhyYou(f"{field}: has no words (only digits or punctuation); {ASK}")
    counts = Counter(characters)
    joined = "".join(characters)
    if (len(counts) <= 3 or counts.most_common(1)[0][1] * 2 > len(characters)
            or _REPEATED_UNIT.fullmatch(joined)):
        raise NotWhyYou(f"{field}: repeats the same characters; {ASK}")


def _same_word(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 4 and (a.startswith(b) or b.startswith(a)))


def _normalized(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _bigrams(text: str) -> set[str]:
    return {run[i:i + 2] for run in _RUN.findall(text) for i in range(len(run) - 1)}


_GENERIC_BIGRAMS = {w for w in GENERIC_JA if len(w) == 2}
# A run made of stock words only (大変興味, チームメンバー) is a stock phrase too.
_GENERIC_RUN = re.compile("|".join(sorted(GENERIC_JA, key=len, reverse=True)))
