"""What the story showed, in numbers the test can check and a person can read."""

from collections import Counter
from dataclasses import dataclass, field
from typing import IO


@dataclass
class Summary:
    scouts_sent: int = 0
    replies: int = 0
    interviews: int = 0
    offers: int = 0
    offers_accepted: int = 0
    delivered: dict[str, int] = field(default_factory=dict)   # channel -> messages the providers received
    held_back: dict[str, int] = field(default_factory=dict)   # "defer:quiet_hours" -> how many decisions
    lazy_scout_refused: str | None = None                     # scout's 422 detail for a reason that could go to anyone
    notify_clock_left_at: str | None = None                   # where the story leaves notify's clock (Asia/Tokyo)
    scout_a_line_pushes: int = 0
    scout_b_deferred_until: str | None = None                 # her local time, HH:MM
    scout_b_delivered_at: str | None = None                   # her local time, HH:MM, when it was sent
    stop_confirmations: int = 0
    messages_after_stop: int = 0
    decisions_after_stop: list[str] = field(default_factory=list)  # "action:reason" for others' outreach
    campaign_rows_imported: int = 0
    campaign_messages: int = 0
    reminders_available: bool = False
    reminders_sent: int = 0
    reminders_to_responders: int = 0
    non_responders_reminded: int = 0
    export_rows: int = 0
    export_statuses: dict[str, int] = field(default_factory=dict)
    aftercare_available: bool = False
    aftercare_before_acceptance: int = 0
    aftercare_after_acceptance: int = 0
    notes: list[str] = field(default_factory=list)

    def count_held_back(self, decisions: list[dict]) -> None:
        counter = Counter(f"{d['action']}:{d['reason']}" for d in decisions if d["action"] != "send")
        self.held_back = dict(sorted(counter.items()))

    def render(self, out: IO[str]) -> None:
        line = "━" * 64
        out.write(f"\n{line}\nSummary\n{line}\n")
        out.write(f"  scouts sent            {self.scouts_sent}\n")
        out.write(f"  replies                {self.replies}\n")
        out.write(f"  interviews scheduled   {self.interviews}\n")
        out.write(f"  offers issued/accepted {self.offers}/{self.offers_accepted}\n")
        delivered = ", ".join(f"{c} {n}" for c, n in sorted(self.delivered.items())) or "none"
        out.write(f"  messages delivered     {delivered}\n")
        held = ", ".join(f"{k} ×{n}" for k, n in self.held_back.items()) or "none"
        out.write(f"  held back (why)        {held}\n")
        out.write(f"  lazy scout             refused: {self.lazy_scout_refused}\n")
        out.write(f"  scout A → LINE pushes  {self.scout_a_line_pushes}\n")
        out.write(f"  scout B at 23:00       deferred to {self.scout_b_deferred_until}, "
                  f"sent at {self.scout_b_delivered_at}\n")
        out.write(f"  after STOP             {self.stop_confirmations} confirmation, "
                  f"{self.messages_after_stop} messages more; others' scouts: "
                  f"{', '.join(self.decisions_after_stop) or 'none'}\n")
        out.write(f"  ATS campaign           {self.campaign_rows_imported} imported, {self.campaign_messages} "
                  f"template messages, export {self.export_rows} rows {self.export_statuses}\n")
        reminders = (f"{self.reminders_sent} sent to {self.non_responders_reminded} non-responders, "
                     f"{self.reminders_to_responders} to responders"
                     if self.reminders_available else "no reminder sequence in this build: none sent")
        out.write(f"  reminders              {reminders}\n")
        aftercare = (f"{self.aftercare_before_acceptance} before acceptance, "
                     f"{self.aftercare_after_acceptance} after"
                     if self.aftercare_available else "no after-care sequence in this build: none sent")
        out.write(f"  offer after-care       {aftercare}\n")
        out.write(f"  notify's clock         left at {self.notify_clock_left_at} (Asia/Tokyo), ahead of the wall "
                  "clock; the next run starts from tomorrow 10:00 again, `make down` resets it\n")
        for note in self.notes:
            out.write(f"  note: {note}\n")
        out.flush()
