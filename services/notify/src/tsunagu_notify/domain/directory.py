"""The recipient directory as pure state changes: preferences, campaign contacts, answers, opt-outs."""

import unicodedata
from datetime import datetime
from typing import Any

from tsunagu_shared.events import CampaignApplicantImported, ContactPreferencesChanged

from tsunagu_notify.domain.model import Channel, ChannelStatus, RecipientState

STOP_WORDS = frozenset({
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT",
    "停止", "配信停止", "ストップ", "すとっぷ", "やめる", "解除", "配信解除", "受信拒否",
})


# Twilio's own re-subscribe keywords, and their Japanese counterparts.
START_WORDS = frozenset({"START", "UNSTOP", "再開", "開始", "配信再開", "受信再開"})


def _keyword(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().strip("。.!！").upper().replace(" ", "")


def is_stop(text: str) -> bool:
    """An inbound SMS that asks to stop (English or Japanese, any width or case)."""
    return _keyword(text) in STOP_WORDS


def is_start(text: str) -> bool:
    """An inbound SMS that asks to be reached by SMS again (START, 再開, 開始 …)."""
    return _keyword(text) in START_WORDS


def after_preferences(state: RecipientState, event: ContactPreferencesChanged) -> RecipientState:
    """Her own preferences: contact points, consent per channel, zone and quiet hours."""
    addresses = {"email": event.email, "sms": event.phone, "line": state.channel("line").address}
    channels: dict[Channel, ChannelStatus] = dict(state.channels)
    for name in ("email", "sms", "line"):
        current = state.channel(name)
        consent = event.channels.get(name)
        update: dict[str, Any] = {"address": addresses[name]}
        if consent is not None and consent.consented:
            consented_at = consent.consented_at or event.changed_at
            update |= {"consented_at": consented_at, "consent_source": consent.source or "profile"}
            if current.opted_out_at and consented_at > current.opted_out_at:
                update |= {"opted_out_at": None, "opt_out_source": None, "confirmation_sent": False}
        elif consent is not None:
            update |= {"consented_at": None, "consent_source": None}
        channels[name] = current.model_copy(update=update)
    return state.model_copy(update={
        "known": True, "display_name": event.display_name or state.display_name, "locale": event.locale,
        "time_zone": event.time_zone, "quiet_hours_start": event.quiet_hours_start,
        "quiet_hours_end": event.quiet_hours_end, "preferred_channel": event.preferred_channel,
        "channels": channels,
    })


def campaign_contact(state: RecipientState, event: CampaignApplicantImported) -> RecipientState:
    """An ATS applicant: email only, consent source "ats_campaign"; her own settings win."""
    if state.known:
        return state
    channels = {"email": ChannelStatus(address=event.email, consented_at=event.imported_at,
                                       consent_source="ats_campaign")} if event.email else {}
    if event.phone:
        channels["sms"] = ChannelStatus(address=event.phone)  # kept, but no consent for SMS
    return state.model_copy(update={"known": True, "display_name": event.display_name, "channels": channels,
                                    "preferred_channel": "email"})


def answered(state: RecipientState, company_id: str) -> RecipientState:
    """She answered this company: its non-response streak ends."""
    if not state.unanswered.get(company_id):
        return state
    return state.model_copy(update={"unanswered": {**state.unanswered, company_id: 0}})


def opted_out(state: RecipientState, channel: Channel, source: str, now: datetime) -> RecipientState | None:
    """The channel off at once; None when it already was."""
    current = state.channel(channel)
    if current.opted_out_at:
        return None
    status = current.model_copy(update={"opted_out_at": now, "opt_out_source": source})
    return state.model_copy(update={"channels": {**state.channels, channel: status}})


def opted_in(state: RecipientState, channel: Channel, source: str, now: datetime) -> RecipientState | None:
    """She asked on the channel itself to be reached there again: her fresh consent, the opt-out lifted.
    None when there is no address for it, or when she is consented and not opted out already."""
    current = state.channel(channel)
    if not current.address or (current.consented_at and not current.opted_out_at):
        return None
    status = current.model_copy(update={"consented_at": now, "consent_source": source, "opted_out_at": None,
                                        "opt_out_source": None, "confirmation_sent": False})
    return state.model_copy(update={"channels": {**state.channels, channel: status}})


def line_followed(state: RecipientState, line_user_id: str, now: datetime) -> RecipientState:
    """Following the official account is her consent to LINE messages."""
    status = ChannelStatus(address=line_user_id, consented_at=now, consent_source="line_follow")
    return state.model_copy(update={"channels": {**state.channels, "line": status}})


def blocked(state: RecipientState, company_id: str) -> RecipientState:
    """She blocked this company: it is remembered so the policy suppresses it (reason `blocked`)."""
    if company_id in state.blocked_companies:
        return state
    return state.model_copy(update={"blocked_companies": (*state.blocked_companies, company_id)})


def left_unanswered(state: RecipientState, company_id: str) -> RecipientState:
    """A scout of this company expired unanswered: one more contact in its non-response streak."""
    streak = state.unanswered.get(company_id, 0) + 1
    return state.model_copy(update={"unanswered": {**state.unanswered, company_id: streak}})


def line_unlinked(state: RecipientState) -> RecipientState | None:
    """Her LINE account is no longer linked: the address (and so the channel) is gone."""
    if not state.channel("line").address:
        return None
    channels = {k: v for k, v in state.channels.items() if k != "line"}
    return state.model_copy(update={"channels": channels})
