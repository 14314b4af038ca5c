"""The real provider SDKs against the emulators: what arrives, retry keys, 429s."""

import pytest
from tsunagu_emulators import EmulatorPorts, Fault, start_emulators
from tsunagu_notify.adapters.channels.base import OutboundMessage, ProviderRejected, RetryLater
from tsunagu_notify.adapters.channels.email import EmailChannel
from tsunagu_notify.adapters.channels.line import LineChannel
from tsunagu_notify.adapters.channels.sms import SmsChannel


@pytest.fixture
async def emulators():
    running = await start_emulators(EmulatorPorts(control=0, twilio=0, line=0, smtp=0))
    yield running
    await running.stop()


def message(address: str, key: str = "intent-1:cand-1:line") -> OutboundMessage:
    return OutboundMessage(idempotency_key=key, address=address, subject="スカウト", body="Acmeからスカウト",
                           sender_name="Acme via Tsunagu", unsubscribe_url="http://n/unsubscribe/tok")


async def test_line_push_is_recorded_and_a_retry_key_is_accepted_once(emulators):
    line = LineChannel(base_url=emulators.line_base_url, access_token="t")
    try:
        first = await line.send(message("U1"))
        again = await line.send(message("U1"))
    finally:
        await line.close()
    assert first.provider_message_id and not first.already_accepted
    assert again.already_accepted
    assert [m["texts"] for m in emulators.recorder.sent("line")] == [["Acmeからスカウト"]]


async def test_line_429_carries_retry_after(emulators):
    emulators.recorder.add_fault(Fault(provider="line", mode="429", count=1, retry_after=3))
    line = LineChannel(base_url=emulators.line_base_url, access_token="t")
    try:
        with pytest.raises(RetryLater) as raised:
            await line.send(message("U1"))
        assert raised.value.retry_after == 3
        await line.send(message("U1"))
    finally:
        await line.close()
    assert len(emulators.recorder.sent("line")) == 1


async def test_sms_through_twilio_sdk_and_permanent_rejection(emulators):
    sms = SmsChannel(account_sid="ACx", auth_token="tok", from_number="+815000000000",
                     base_url=emulators.twilio_base_url)
    try:
        receipt = await sms.send(message("+818012345678", "k:sms"))
        emulators.recorder.add_fault(Fault(provider="twilio", mode="permanent"))
        with pytest.raises(ProviderRejected):
            await sms.send(message("+8180", "k2:sms"))
    finally:
        await sms.close()
    assert receipt.provider_message_id.startswith("SM")
    assert [m["to"] for m in emulators.recorder.sent("twilio")] == ["+818012345678"]


async def test_email_has_company_in_from_and_one_click_unsubscribe(emulators):
    email = EmailChannel(host="127.0.0.1", port=emulators.ports.smtp)
    await email.send(message("hanako@example.jp", "k:email"))
    [sent] = emulators.recorder.sent("email")
    assert "Acme via Tsunagu" in sent["from_header"]
    assert sent["list_unsubscribe"].startswith("<http://n/unsubscribe/tok>")
    assert sent["list_unsubscribe_post"] == "List-Unsubscribe=One-Click"
    emulators.recorder.add_fault(Fault(provider="email", mode="429"))
    with pytest.raises(RetryLater):
        await email.send(message("hanako@example.jp", "k2:email"))


async def test_an_email_sent_again_carries_the_same_message_id_and_another_delivery_its_own(emulators):
    """SMTP takes no idempotency key: a repeat after a crash is a second transaction, but with the
    Message-ID of the first, by which the recipient's mailbox knows it is the same message."""
    email = EmailChannel(host="127.0.0.1", port=emulators.ports.smtp)
    first = await email.send(message("hanako@example.jp", "intent-1:cand-1:email"))
    again = await email.send(message("hanako@example.jp", "intent-1:cand-1:email"))
    other = await email.send(message("hanako@example.jp", "intent-2:cand-1:email"))
    ids = [m["message_id"] for m in emulators.recorder.sent("email")]
    assert ids == [first.provider_message_id, again.provider_message_id, other.provider_message_id]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].startswith("<") and ids[0].endswith("@tsunagu.example>")
