"""Message templates in Japanese and English, and the renderer that enforces sender identification.

Every email and SMS must name the company, the person, the platform as operator, say how to
refuse further messages and give a contact point (Japan's Act on Specified Electronic Mail,
docs/notify.md, templates). The renderer checks the rendered text, not the template's intentions:
a template or a variable set that loses one of them is refused.
"""

from dataclasses import dataclass
from string import Formatter
from typing import Any

from tsunagu_notify.domain.model import Category, Channel


class TemplateRefused(Exception):
    """The template cannot be sent as it is (missing identification or variables)."""


class UnknownTemplate(Exception):
    pass


@dataclass(frozen=True)
class Template:
    name: str
    category: Category
    # locale -> (subject, body); body may use any variable plus the sender fields below.
    texts: dict[str, tuple[str, str]]
    footer: bool = True


@dataclass(frozen=True)
class Sender:
    """Who operates the platform, as every message must say."""

    operator: str = "Tsunagu (運営: 株式会社Tsunagu)"
    operator_en: str = "Tsunagu (operated by Tsunagu K.K.)"
    contact: str = "support@tsunagu.example"
    email_from: str = "Tsunagu <notify@tsunagu.example>"


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str


_FOOTERS = {
    ("ja", "email"): ("\n\n--\n送信者: {company_name}（{operator}経由）\n配信停止: {unsubscribe_url}"
                      "\nお問い合わせ: {contact}"),
    ("en", "email"): ("\n\n--\nSent by {company_name} via {operator}\nUnsubscribe: {unsubscribe_url}"
                      "\nContact: {contact}"),
    ("ja", "sms"): "\n{company_name}/{operator} 配信停止は「停止」と返信 問合せ{contact}",
    ("en", "sms"): "\n{company_name} via {operator}. Reply STOP to opt out. Help: {contact}",
    ("ja", "line"): "\n（{operator}からのお知らせ。配信停止はブロックしてください。問合せ: {contact}）",
    ("en", "line"): "\n(From {operator}. Block this account to stop. Contact: {contact})",
}
_STOP = {("ja", "email"): "配信停止", ("en", "email"): "Unsubscribe", ("ja", "sms"): "停止", ("en", "sms"): "STOP"}

_WELCOME = {
    1: ("Tsunaguへようこそ。プロフィールを充実させると、あなたに合う企業からスカウトが届きやすくなります。",
        "Welcome to Tsunagu. A complete profile brings scouts from companies that fit you."),
    3: ("自己PRは書けましたか？理由のあるスカウトは、具体的な経験から生まれます。",
        "Have you written your self-PR? Scouts with a real reason start from concrete experience."),
    7: ("今日のおすすめ企業をチェックして「スカウトしてほしい」を送ってみましょう。",
        "Check today's recommended companies and send a \"please scout me\"."),
    14: ("他社の選考状況を登録すると、企業があなたを見つけやすくなります。",
         "Register your selection progress elsewhere so companies can find you."),
    30: ("登録から1か月。メニューからいつでも連絡の受け取り方を変えられます。",
         "One month with Tsunagu. Change how you are contacted from the menu any time."),
}


def _welcome_templates() -> list["Template"]:
    """The LINE welcome sequence (journeys/sequences.toml line_welcome), one template per step."""
    return [
        Template(f"welcome_day{day}", "transactional", {
            "ja": ("Tsunaguからのお知らせ", "{recipient_name}さん、" + ja),
            "en": ("From Tsunagu", "{recipient_name}, " + en),
        })
        for day, (ja, en) in _WELCOME.items()
    ]


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("scout_received", "outreach", {
            "ja": ("{company_name}からスカウトが届きました",
                   "{recipient_name}さん、{company_name}の{recruiter_name}さんからスカウトが届きました。"
                   "理由: {reason}"),
            "en": ("A scout from {company_name}",
                   "{recipient_name}, {recruiter_name} of {company_name} sent you a scout. Why you: {reason}"),
        }),
        Template("campaign_message", "outreach", {
            "ja": ("{company_name}からのご案内",
                   "{recipient_name}さん、{company_name}からのご案内です。詳細: {share_url}"),
            "en": ("A message from {company_name}", "{recipient_name}, a message from {company_name}: {share_url}"),
        }),
        Template("campaign_reminder", "outreach", {
            "ja": ("【リマインド】{company_name}からのご案内",
                   "{recipient_name}さん、{company_name}からのご案内への回答期限が近づいています: {share_url}"),
            "en": ("Reminder from {company_name}",
                   "{recipient_name}, the deadline for {company_name}'s message is near: {share_url}"),
        }),
        Template("interview_scheduled", "critical", {
            "ja": ("{company_name}との面接日程",
                   "{recipient_name}さん、{company_name}との面接が{starts_at_local}に決まりました。"),
            "en": ("Interview with {company_name}",
                   "{recipient_name}, your interview with {company_name} is at {starts_at_local}."),
        }),
        Template("offer_issued", "transactional", {
            "ja": ("{company_name}から内定のお知らせ",
                   "{recipient_name}さん、{company_name}から内定が届きました。回答期限: {respond_by}"),
            "en": ("An offer from {company_name}",
                   "{recipient_name}, {company_name} made you an offer. Respond by {respond_by}."),
        }),
        Template("offer_lapsed", "transactional", {
            "ja": ("{company_name}からの内定の回答期限が過ぎました",
                   "{recipient_name}さん、{company_name}からの内定は回答期限（{respond_by_local}）が過ぎたため、"
                   "承諾できなくなりました。ご相談はメッセージで{company_name}へお送りください。"),
            "en": ("Your offer from {company_name} has lapsed",
                   "{recipient_name}, the deadline for your offer from {company_name} ({respond_by_local}) has "
                   "passed and it can no longer be accepted. Message {company_name} if you want to talk it over."),
        }),
        Template("event_cancelled", "transactional", {
            "ja": ("イベント中止のお知らせ",
                   "{recipient_name}さん、ご登録のイベント「{event_title}」は中止になりました。"),
            "en": ("Event cancelled", "{recipient_name}, the event \"{event_title}\" you registered for is cancelled."),
        }),
        Template("event_reminder", "transactional", {
            "ja": ("イベントのリマインド", "{recipient_name}さん、「{event_title}」は{starts_at_local}開始です。"),
            "en": ("Event reminder", "{recipient_name}, \"{event_title}\" starts at {starts_at_local}."),
        }),
        Template("offer_aftercare", "transactional", {
            "ja": ("{company_name}からの内定について",
                   "{recipient_name}さん、{company_name}からの内定（回答期限 {respond_by}）について、"
                   "気になることや相談したいことはありませんか？いつでもメッセージでお知らせください。"),
            "en": ("About your offer from {company_name}",
                   "{recipient_name}, any questions about your offer from {company_name} (respond by {respond_by})? "
                   "Message them any time."),
        }),
        Template("interview_slots_proposed", "transactional", {
            "ja": ("{company_name}から面接日程の候補",
                   "{recipient_name}さん、{company_name}から面接日程の候補が届きました。"
                   "{respond_by_local}までにお選びください: {share_url}"),
            "en": ("Interview times from {company_name}",
                   "{recipient_name}, {company_name} proposed interview times. "
                   "Please pick one by {respond_by_local}: {share_url}"),
        }),
        Template("interview_reminder", "transactional", {
            "ja": ("【リマインド】{company_name}との面接日程",
                   "{recipient_name}さん、{company_name}との面接日程の回答期限（{respond_by_local}）が近づいています。"
                   "候補からお選びください: {share_url}"),
            "en": ("Reminder: interview times from {company_name}",
                   "{recipient_name}, please pick an interview time with {company_name} by {respond_by_local}: "
                   "{share_url}"),
        }),
        Template("interview_rescheduled", "critical", {
            "ja": ("{company_name}との面接日程の変更",
                   "{recipient_name}さん、{company_name}との面接（{previous_starts_at_local}）は日程変更になりました。"
                   "新しい候補日をメッセージでご確認ください。"),
            "en": ("Interview with {company_name} moved",
                   "{recipient_name}, your interview with {company_name} at {previous_starts_at_local} is being "
                   "rescheduled. Check your messages for new times."),
        }),
        Template("interview_cancelled", "critical", {
            "ja": ("{company_name}との面接の中止", "{recipient_name}さん、{company_name}との面接は中止になりました。"),
            "en": ("Interview with {company_name} cancelled",
                   "{recipient_name}, your interview with {company_name} is cancelled."),
        }),
        Template("segment_message", "outreach", {
            "ja": ("{company_name}からのお知らせ", "{recipient_name}さん、{company_name}からのお知らせです。{message}"),
            "en": ("News from {company_name}", "{recipient_name}, news from {company_name}: {message}"),
        }),
        *_welcome_templates(),
        Template("opt_out_confirmation", "transactional", {
            "ja": ("配信停止を受け付けました",
                   "{recipient_name}さん、このチャネルへの配信を停止しました。今後すべての企業から届きません。"),
            "en": ("You are unsubscribed",
                   "{recipient_name}, you will receive nothing more on this channel from any company."),
        }),
        Template("outreach_digest", "outreach", {
            "ja": ("新着のお知らせ{count}件",
                   "{recipient_name}さん、{company_name}など{count}件の新着があります: {companies}"),
            "en": ("{count} new messages",
                   "{recipient_name}, {count} new messages, from {company_name} and more: {companies}"),
        }),
    )
}


def template(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplate(name) from None


def render(name: str, *, locale: str, channel: Channel, variables: dict[str, Any], sender: Sender) -> Rendered:
    """Render a template for one channel, refusing it when it would not identify the sender."""
    tpl = template(name)
    lang = locale if locale in tpl.texts else "ja"
    subject, body = tpl.texts[lang]
    values = {
        **variables,
        "operator": sender.operator if lang == "ja" else sender.operator_en,
        "contact": sender.contact,
        "stop": _STOP.get((lang, channel), ""),
    }
    text = body + (_FOOTERS[(lang, channel)] if tpl.footer else "")
    rendered = Rendered(subject=_fill(subject, values, name), body=_fill(text, values, name))
    if channel in ("email", "sms"):
        _check_identification(rendered.body, values, channel, name)
    return rendered


def _fill(text: str, values: dict[str, Any], name: str) -> str:
    missing = [f for _, f, _, _ in Formatter().parse(text) if f and values.get(f) in (None, "")]
    if missing:
        raise TemplateRefused(f"template {name}: missing variables {sorted(set(missing))}")
    return text.format(**{k: v for k, v in values.items()})


def _check_identification(body: str, values: dict[str, Any], channel: Channel, name: str) -> None:
    required = {
        "company": values.get("company_name"),
        "person": values.get("recipient_name"),
        "operator": values.get("operator"),
        "contact point": values.get("contact"),
        "how to stop": values.get("unsubscribe_url") if channel == "email" else values.get("stop"),
    }
    absent = [what for what, value in required.items() if not value or str(value) not in body]
    if absent:
        raise TemplateRefused(f"template {name} on {channel} does not state: {', '.join(absent)}")
