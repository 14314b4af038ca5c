"""Probe (issue #11): which database commands one intent costs in notify, by command and collection.

    eval "$(python3 scripts/stack.py env)"; .cache/venv/bin/python bench/micro_notify_commands.py

notify runs in process (NotifyHarness: real broker, database and provider emulators) with
pymongo's command monitor registered; BENCH_COMMANDS_INTENTS critical intents to
BENCH_COMMANDS_RECIPIENTS registered recipients (email) are published, and once every email is at
the SMTP emulator the commands issued meanwhile are tallied. A command's time includes its wait
for the database, so the totals show where the pipeline waits. Not part of `make bench`: it
explains the notify figures rather than measuring them.
"""

import asyncio
import os
import sys
import time
from pathlib import Path

from pymongo import monitoring

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faults"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import CommandTally

INTENTS = int(os.environ.get("BENCH_COMMANDS_INTENTS", 100))
RECIPIENTS = int(os.environ.get("BENCH_COMMANDS_RECIPIENTS", 50))


TALLY = CommandTally(on=False)
monitoring.register(TALLY)  # before any client exists


async def main() -> None:
    from faultkit import intent_event
    from tsunagu_notify.testing import NotifyHarness, jst

    async with NotifyHarness(start=jst(2, 12)) as notify:
        people = [f"p{i:04d}" for i in range(RECIPIENTS)]
        for person in people:
            await notify.register(person, preferred="email", line_user_id=None, email=f"{person}@example.jp")
        TALLY.on = True
        started = time.monotonic()
        for n in range(INTENTS):
            await notify.publish(intent_event(n, people[n % RECIPIENTS], run="probe"))
        await notify.until(lambda: len(notify.recorder.sent("email")) >= INTENTS, timeout=600)
        elapsed = time.monotonic() - started
        TALLY.on = False
    total = sum(TALLY.count.values())
    print(f"{INTENTS} intents in {elapsed:.1f} s ({INTENTS / elapsed:.1f}/s); {total} commands, "
          f"{total / INTENTS:.1f} per intent")
    for key, count in sorted(TALLY.count.items(), key=lambda kv: -TALLY.ms[kv[0]]):
        print(f"{key[0]:>18} {key[1]:<36} {count / INTENTS:5.2f}/intent  {TALLY.ms[key] / count:6.1f} ms avg")


if __name__ == "__main__":
    asyncio.run(main())
