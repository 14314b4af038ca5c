"""`tsunagu`: the command-line tool for operators and demos.

Addresses come from the same environment variables as the services
(TSUNAGU_KAFKA_BOOTSTRAP, TSUNAGU_TOPIC_PREFIX, TSUNAGU_JWT_SECRET, ...).
"""

import asyncio
import json
from datetime import timedelta

import httpx
import typer
from aiokafka import AIOKafkaConsumer

from tsunagu_shared.auth import issue_token
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import CONSUMER_GROUPS, dlq_name, topic_name

from tsunagu_tools import dlq as dead_letters
from tsunagu_tools.stack import Api, StackUrls, Tokens

app = typer.Typer(help="Operate Tsunagu: tail topics, inspect and replay dead letters, issue tokens, run the demo.")
dlq_app = typer.Typer(help="Dead-letter topics, one per consumer group.")
app.add_typer(dlq_app, name="dlq")
search_app = typer.Typer(help="The search indexes of the read side (OpenSearch).")
app.add_typer(search_app, name="search")


def settings() -> ServiceSettings:
    return ServiceSettings(service_name="cli")


@app.command()
def tail(
    topic: str = typer.Argument(..., help="topic name without prefix, e.g. scout.events"),
    from_beginning: bool = typer.Option(False, "--from-beginning"),
    count: int = typer.Option(0, help="stop after this many events (0: follow)"),
) -> None:
    """Print the events on a topic, decoded, one JSON line each."""

    async def run() -> None:
        s = settings()
        consumer = AIOKafkaConsumer(
            topic_name(topic, s.topic_prefix),
            bootstrap_servers=s.kafka_bootstrap,
            auto_offset_reset="earliest" if from_beginning else "latest",
            enable_auto_commit=False,
        )
        await consumer.start()
        seen = 0
        try:
            async for record in consumer:
                try:
                    envelope = Envelope.from_bytes(record.value)
                    line = {"offset": record.offset, "type": envelope.type, "subject": envelope.subject,
                            "time": envelope.time.isoformat(), "data": envelope.data}
                except ValueError:
                    line = {"offset": record.offset, "undecodable": record.value[:200].decode(errors="replace")}
                typer.echo(json.dumps(line, ensure_ascii=False))
                seen += 1
                if count and seen >= count:
                    break
        finally:
            await consumer.stop()

    asyncio.run(run())


@dlq_app.command("list")
def dlq_list(group: str = typer.Argument(..., help=f"consumer group: {', '.join(CONSUMER_GROUPS)}")) -> None:
    """List a group's dead letters with their reasons."""
    s = settings()
    letters = asyncio.run(dead_letters.read_dead_letters(s.kafka_bootstrap, dlq_name(group, s.topic_prefix)))
    for letter in letters:
        typer.echo(f"{letter.offset:>6}  {letter.failed_at}  from {letter.topic}  {letter.error_type}: {letter.reason}")
    typer.echo(f"{len(letters)} dead letters")


@dlq_app.command("replay")
def dlq_replay(
    group: str = typer.Argument(...),
    offset: list[int] = typer.Option(None, help="replay only these offsets (repeatable); default all"),
) -> None:
    """Publish dead letters back to the topic they came from (after the fix is deployed)."""
    s = settings()
    letters = asyncio.run(dead_letters.read_dead_letters(s.kafka_bootstrap, dlq_name(group, s.topic_prefix)))
    if offset:
        letters = [letter for letter in letters if letter.offset in set(offset)]
    replayed = asyncio.run(dead_letters.replay(s.kafka_bootstrap, letters))
    typer.echo(f"replayed {replayed} dead letters")


@search_app.command("rebuild")
def search_rebuild(index: str = typer.Argument(..., help="the index to rebuild: profiles")) -> None:
    """Drop an index and fill it again from its service's store (the projector may keep running)."""
    if index != "profiles":
        raise typer.BadParameter(f"unknown index {index!r}; known: profiles")
    from tsunagu_profile.config import ProfileSettings
    from tsunagu_profile.rebuild import rebuild

    written = asyncio.run(rebuild(ProfileSettings()))
    typer.echo(f"profiles index rebuilt: {written} documents")


@app.command()
def token(
    role: str = typer.Option(..., help="candidate, recruiter, admin or service"),
    subject: str = typer.Option(...),
    company_id: str = typer.Option(None),
    hours: int = typer.Option(12),
) -> None:
    """Issue a signed token (development and demos; production tokens come from the identity provider)."""
    typer.echo(issue_token(settings(), subject=subject, role=role, company_id=company_id,
                           ttl=timedelta(hours=hours)))


@app.command()
def seed(run: str = typer.Option(None, help="tag appended to every id (default: random)")) -> None:
    """Create the demo's companies, recruiters and students on the running stack (public APIs only)."""
    from tsunagu_tools.demo.cast import new_cast, seed_cast

    async def go():
        cast = new_cast(run)
        async with httpx.AsyncClient() as client:
            await seed_cast(Api(StackUrls.from_env(), client), Tokens(settings()), cast)
        return cast

    cast = asyncio.run(go())
    for company in cast.companies.values():
        typer.echo(f"company   {company.company_id:<32} {company.name}  recruiter {company.recruiter_id} "
                   f"({company.recruiter_name})")
    for person in cast.people.values():
        typer.echo(f"student   {person.candidate_id:<32} {person.name}")
    typer.echo("sign in to the console (development login) with a recruiter id and its company id")


@app.command()
def timeline(person_id: str = typer.Argument(..., help="candidate id")) -> None:
    """A person's timeline: the events that name her, and every contact decision about her with its reason."""
    from tsunagu_tools.demo.timeline import describe_event, local
    from tsunagu_tools.people import events_about

    async def go():
        urls = StackUrls.from_env()
        async with httpx.AsyncClient() as client:
            decisions = await Api(urls, client).json("GET", "notify", f"/recipients/{person_id}/decisions",
                                                     token=Tokens(settings()).admin())
        return decisions, await events_about(urls.kafka_bootstrap, urls.topic_prefix, person_id)

    decisions, events = asyncio.run(go())
    rows = [(e.time.isoformat(), f"event     {e.type:<26} {topic:<18} {describe_event(e)}") for topic, e in events]
    for d in decisions:
        what = {"send": f"SEND via {d['channel']}", "defer": f"DEFER until {local(d['until'])}",
                "digest": f"DIGEST into {d['into']}"}.get(d["action"], "SUPPRESS")
        rows.append((d["decided_at"], f"decision  {d['template']} ({d['category']}, {d['company_id'] or '-'}): "
                                      f"{what} [{d['reason']}] {d['detail']}".rstrip()))
    for moment, line in sorted(rows):
        typer.echo(f"{local(moment, fmt='%Y-%m-%d %H:%M:%S')}  {line}")
    typer.echo(f"{len(events)} events, {len(decisions)} decisions (decision times are notify's clock)")


@app.command()
def demo() -> None:
    """Play the demo story (DESIGN.md §7) against the running stack and print its timeline and summary."""
    from tsunagu_tools.demo import run

    run()


if __name__ == "__main__":
    app()
