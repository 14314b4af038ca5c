"""An SMTP server (aiosmtpd) that records each message with its headers."""

from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP, Envelope, Session

from tsunagu_emulators.recorder import Recorder


class RecordingHandler:
    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        fault = self._recorder.take_fault("email")
        if fault is not None:
            self._recorder.saw_request("email", fault.mode, to=list(envelope.rcpt_tos))
            if fault.mode == "permanent":
                return "550 5.1.1 mailbox unavailable"
            return "421 4.7.0 try again later" if fault.mode == "429" else "451 4.3.0 local error"
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        self._recorder.record(
            "email", mail_from=envelope.mail_from, to=list(envelope.rcpt_tos), subject=str(message["Subject"]),
            from_header=str(message["From"]), list_unsubscribe=_header(message, "List-Unsubscribe"),
            list_unsubscribe_post=_header(message, "List-Unsubscribe-Post"), message_id=_header(message, "Message-ID"),
            idempotency_key=_header(message, "X-Tsunagu-Idempotency-Key"),
            body=body.get_content() if body is not None else "",
        )
        self._recorder.saw_request("email", "accepted", to=list(envelope.rcpt_tos))
        return "250 OK"


def _header(message, name: str) -> str | None:
    value = message.get(name)
    return str(value).strip() if value is not None else None
