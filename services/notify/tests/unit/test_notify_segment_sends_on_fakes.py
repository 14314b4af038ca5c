"""SegmentSends on in-memory ports (SegmentMembers, SendLedger): one intent per person under a
deterministic id, the company's registered name as sender, and a send id that names one send only."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from tsunagu_notify.domain.journeys.definitions import SegmentFilter
from tsunagu_notify.handlers.segment_sends import SegmentSends, SenderUnknown, SendIdTaken, segment_intent_id
from tsunagu_shared.envelope import Envelope

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ENGINEERS = SegmentFilter(industries=["engineering"])


@dataclass
class Members:
    ids: list[str]

    async def members(self, segment: SegmentFilter) -> list[str]:
        return list(self.ids)


@dataclass
class Ledger:
    names: dict[str, str] = field(default_factory=dict)
    sends: dict[str, str] = field(default_factory=dict)
    intents: dict[str, Envelope] = field(default_factory=dict)

    async def name_of(self, key: str) -> str | None:
        return self.names.get(key)

    async def claim_send(self, send_id: str, fingerprint: str, now: datetime) -> bool:
        return self.sends.setdefault(send_id, fingerprint) == fingerprint

    async def request_intents(self, envelopes: list[Envelope]) -> None:
        for envelope in envelopes:
            self.intents.setdefault(envelope.data["intent_id"], envelope)


def sends(people: int, names: dict[str, str] | None = None) -> tuple[SegmentSends, Ledger]:
    ledger = Ledger(names=names or {})
    return SegmentSends(journeys=Members([f"c-{i}" for i in range(people)]), store=ledger), ledger


async def test_a_company_send_is_one_intent_per_person_signed_with_its_registered_name() -> None:
    segments, ledger = sends(1201, {"company:co-1": "株式会社つなぐ"})
    requested = await segments.send(send_id="s-1", segment=ENGINEERS, company_id="co-1", platform_name="ignored",
                                    message="説明会のご案内", now=NOW)
    assert requested == 1201 and len(ledger.intents) == 1201
    intent = ledger.intents[segment_intent_id("s-1", "c-7")].data
    assert intent["recipient_id"] == "c-7" and intent["company_id"] == "co-1"
    assert intent["variables"]["company_name"] == "株式会社つなぐ"


async def test_a_repeated_send_adds_nobody_twice_and_another_send_cannot_take_its_id() -> None:
    segments, ledger = sends(3)
    for _ in range(2):
        await segments.send(send_id="s-1", segment=ENGINEERS, company_id=None, platform_name="Tsunagu",
                            message="hello", now=NOW)
    assert len(ledger.intents) == 3
    with pytest.raises(SendIdTaken):
        await segments.send(send_id="s-1", segment=ENGINEERS, company_id=None, platform_name="Tsunagu",
                            message="other words", now=NOW)


async def test_a_company_notify_has_not_heard_of_cannot_send_yet() -> None:
    segments, ledger = sends(3)
    with pytest.raises(SenderUnknown):
        await segments.send(send_id="s-2", segment=ENGINEERS, company_id="co-9", platform_name="Tsunagu",
                            message="hello", now=NOW)
    assert not ledger.intents and not ledger.sends
