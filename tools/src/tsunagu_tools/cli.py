"""`tsunagu`: the command-line tool for operators and demos.

Addresses and Kafka credentials come from the same environment variables as the
services (TSUNAGU_KAFKA_BOOTSTRAP, TSUNAGU_KAFKA_SECURITY_PROTOCOL,
TSUNAGU_KAFKA_SASL_*, TSUNAGU_KAFKA_SSL_CAFILE, TSUNAGU_TOPIC_PREFIX,
TSUNAGU_JWT_SECRET, ...) or from the options before the command. A failure the
operator can act on (broker unreachable, wrong password, no such topic or group)
is one line on stderr and a non-zero exit status, never a traceback.
"""

import asyncio
import importlib
import json
import sys
from datetime import timedelta
from enum import Enum
from importlib.metadata import version as installed_version

import httpx
import typer
from tsunagu_shared.envelope import Envelope
from tsunagu_shared.settings import ServiceSettings
from tsunagu_shared.topics import CONSUMER_GROUPS, dlq_name, topic_name

from tsunagu_tools import broker
from tsunagu_tools import dlq as dead_letters
from tsunagu_tools.broker import CliError

# tsunagu_shared.auth and tsunagu_tools.stack bring FastAPI along (a second of start-up):
# imported by the commands that need them, so the Kafka commands start quickly.

app = typer.Typer(help="Operate Tsunagu: tail topics, inspect and replay dead letters, issue tokens, run the demo.",
                  pretty_exceptions_enable=False)
dlq_app = typer.Typer(help="Dead-letter topics, one per consumer group.")
app.add_typer(dlq_app, name="dlq")
search_app = typer.Typer(help="The search indexes of the read side (OpenSearch).")
app.add_typer(search_app, name="search")

# Connection settings given as options; the environment supplies the rest.
_overrides: dict = {}
SecurityProtocol = Enum("SecurityProtocol", {p: p for p in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")},
                        type=str)
SaslMechanism = Enum("SaslMechanism", {m: m for m in ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")}, type=str)
DEFAULT_LIMIT = 1000


def settings() -> ServiceSettings:
    return ServiceSettings(service_name="cli", **_overrides)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"tsunagu {installed_version('tsunagu-tools')}")
        raise typer.Exit()


@app.callback()
def connection(
    bootstrap: str = typer.Option(None, envvar="TSUNAGU_KAFKA_BOOTSTRAP", help="Kafka bootstrap servers"),
    security_protocol: SecurityProtocol = typer.Option(
        None, envvar="TSUNAGU_KAFKA_SECURITY_PROTOCOL", help="default PLAINTEXT"),
    sasl_mechanism: SaslMechanism = typer.Option(None, envvar="TSUNAGU_KAFKA_SASL_MECHANISM"),
    sasl_username: str = typer.Option(None, envvar="TSUNAGU_KAFKA_SASL_USERNAME"),
    sasl_password: str = typer.Option(
        None, envvar="TSUNAGU_KAFKA_SASL_PASSWORD", show_default=False,
        help="prefer the environment variable: a command line is visible to `ps`"),
    ca_file: str = typer.Option(None, envvar="TSUNAGU_KAFKA_SSL_CAFILE",
                                help="PEM file of the brokers' CA, for SSL and SASL_SSL (default: the system's CAs)"),
    topic_prefix: str = typer.Option(None, envvar="TSUNAGU_TOPIC_PREFIX"),
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                 help="Print the tool's version and exit."),
) -> None:
    """Connection options go before the command: `tsunagu --security-protocol SASL_SSL ... dlq list notify`."""
    given = {"kafka_bootstrap": bootstrap, "kafka_security_protocol": security_protocol and security_protocol.value,
             "kafka_sasl_mechanism": sasl_mechanism and sasl_mechanism.value,
             "kafka_sasl_username": sasl_username, "kafka_sasl_password": sasl_password,
             "kafka_ssl_cafile": ca_file, "topic_prefix": topic_prefix}
    _overrides.update({k: v for k, v in given.items() if v is not None})


def _kafka(coro_fn):
    """Run a coroutine that talks to Kafka; its failures become one line."""
    s = settings()
    try:
        return asyncio.run(coro_fn(s))
    except CliError:
        raise
    except broker.KafkaFailures as exc:
        raise CliError(broker.describe(exc, s)) from None


@app.command()
def tail(
    topic: str = typer.Argument(..., help="topic name without prefix, e.g. scout.events"),
    from_beginning: bool = typer.Option(False, "--from-beginning"),
    count: int = typer.Option(0, help="stop after this many events (0: follow)"),
) -> None:
    """Print the events on a topic, decoded, one JSON line each."""

    async def run(s: ServiceSettings) -> None:
        async with broker.consumer(s) as consumer:
            partitions = await broker.require_topic(consumer, topic_name(topic, s.topic_prefix))
            consumer.assign(partitions)
            if from_beginning:
                await consumer.seek_to_beginning(*partitions)
            else:
                await consumer.seek_to_end(*partitions)
            seen = 0
            while not count or seen < count:
                for records in (await consumer.getmany(timeout_ms=1000)).values():
                    for record in records[: count - seen if count else None]:
                        typer.echo(json.dumps(_tail_line(record), ensure_ascii=False))
                        seen += 1

    _kafka(run)


def _tail_line(record) -> dict:
    try:
        envelope = Envelope.from_bytes(record.value)
    except ValueError:
        return {"offset": record.offset, "undecodable": record.value[:200].decode(errors="replace")}
    return {"partition": record.partition, "offset": record.offset, "id": envelope.id, "type": envelope.type,
            "subject": envelope.subject, "time": envelope.time.isoformat(), "data": envelope.data}


def _dlq_partitions(consumer, group: str, s: ServiceSettings):
    known = ", ".join(CONSUMER_GROUPS)
    hint = "" if group in CONSUMER_GROUPS else f"; {group!r} is not a consumer group of Tsunagu ({known})"
    return broker.require_topic(consumer, dlq_name(group, s.topic_prefix), hint=hint)


def _limit(limit: int, every: bool) -> int | None:
    if limit < 1:
        raise CliError("--limit must be at least 1 (use --all for no limit)", code=2)
    return None if every else limit


def _cap_note(found: dead_letters.DeadLetters, limit: int | None, verb: str) -> str | None:
    if not found.limited:
        return None
    return (f"{verb} the first {len(found.letters)} of {found.total} dead letters (the limit is {limit}); "
            f"pass --all for every one or --limit N")


@dlq_app.command("list")
def dlq_list(
    group: str = typer.Argument(..., help=f"consumer group: {', '.join(CONSUMER_GROUPS)}"),
    limit: int = typer.Option(DEFAULT_LIMIT, help="show at most this many (oldest first)"),
    every: bool = typer.Option(False, "--all", help="show every dead letter, however many"),
    as_json: bool = typer.Option(False, "--json", help="one JSON document instead of text"),
) -> None:
    """List a group's dead letters with their reasons."""
    cap = _limit(limit, every)

    async def run(s: ServiceSettings) -> dead_letters.DeadLetters:
        async with broker.consumer(s) as consumer:
            return await dead_letters.read_dead_letters(consumer, await _dlq_partitions(consumer, group, s), limit=cap)

    found = _kafka(run)
    note = _cap_note(found, cap, "showing")
    if as_json:
        typer.echo(json.dumps({"group": group, "topic": found.topic, "total": found.total, "limit": cap,
                               "limited": found.limited,
                               "dead_letters": [dead_letters.as_json(x) for x in found.letters]},
                              ensure_ascii=False))
    else:
        for letter in found.letters:
            typer.echo(f"{letter.offset:>6}  {letter.failed_at}  from {letter.topic}  "
                       f"{letter.error_type}: {letter.reason}")
        typer.echo(f"{found.total} dead letters")
    if note:
        typer.echo(note, err=True)


@dlq_app.command("replay")
def dlq_replay(
    group: str = typer.Argument(...),
    offset: list[int] = typer.Option(None, help="replay only these offsets (repeatable); default all"),
    limit: int = typer.Option(DEFAULT_LIMIT, help="replay at most this many (oldest first)"),
    every: bool = typer.Option(False, "--all", help="replay every dead letter, however many"),
    as_json: bool = typer.Option(False, "--json", help="the outcome as one JSON document"),
) -> None:
    """Publish dead letters back to the topic they came from (after the fix is deployed)."""
    cap = _limit(limit, every)

    async def run(s: ServiceSettings) -> tuple[dead_letters.DeadLetters, int]:
        async with broker.consumer(s) as consumer:
            found = await dead_letters.read_dead_letters(
                consumer, await _dlq_partitions(consumer, group, s), limit=cap, offsets=set(offset) if offset else None)
        return found, await dead_letters.replay(s.kafka_bootstrap, found.letters, options=s.kafka_client_options())

    found, replayed = _kafka(run)
    note = _cap_note(found, cap, "replayed")
    if as_json:
        typer.echo(json.dumps({"group": group, "replayed": replayed, "total": found.total, "limit": cap,
                               "limited": found.limited, "offsets": [x.offset for x in found.letters]}))
    else:
        typer.echo(f"replayed {replayed} dead letters")
    if note:
        typer.echo(note, err=True)


# index -> (its service's package): each has `config.<Name>Settings` and `rebuild.rebuild(settings)`
REBUILDABLE = {"profiles": ("tsunagu_profile", "ProfileSettings"), "scouts": ("tsunagu_scout", "ScoutSettings"),
               "threads": ("tsunagu_messaging", "MessagingSettings"), "events": ("tsunagu_events", "EventsSettings")}


@search_app.command("rebuild")
def search_rebuild(index: str = typer.Argument(..., help=f"the index to rebuild: {', '.join(REBUILDABLE)}")) -> None:
    """Drop an index and fill it again from its service's store (the projector may keep running)."""
    if index not in REBUILDABLE:
        raise typer.BadParameter(f"unknown index {index!r}; known: {', '.join(REBUILDABLE)}")
    package, settings_class = REBUILDABLE[index]
    settings = getattr(importlib.import_module(f"{package}.config"), settings_class)()
    written = asyncio.run(importlib.import_module(f"{package}.rebuild").rebuild(settings))
    typer.echo(f"{index} index rebuilt: {written} documents")


@app.command()
def token(
    role: str = typer.Option(..., help="candidate, recruiter, admin or service"),
    subject: str = typer.Option(...),
    company_id: str = typer.Option(None, help="required for a recruiter"),
    hours: int = typer.Option(12, min=1, max=24 * 30),
) -> None:
    """Issue a signed token (development and demos; production tokens come from the identity provider)."""
    from tsunagu_shared.auth import ROLES, issue_token

    if role not in ROLES:
        raise CliError(f"no role {role!r}: the roles are {', '.join(ROLES)}", code=2)
    if role == "recruiter" and not company_id:
        raise CliError("a recruiter token needs --company-id", code=2)
    typer.echo(issue_token(settings(), subject=subject, role=role, company_id=company_id,
                           ttl=timedelta(hours=hours)))


@app.command()
def seed(
    run: str = typer.Option(None, help="tag appended to every id (default: random)"),
    as_json: bool = typer.Option(False, "--json", help="the cast as one JSON document"),
) -> None:
    """Create the demo's companies, recruiters and students on the running stack (public APIs only)."""
    from tsunagu_tools.demo.cast import new_cast, seed_cast
    from tsunagu_tools.stack import Api, StackUrls, Tokens

    async def go():
        cast = new_cast(run)
        async with httpx.AsyncClient() as client:
            await seed_cast(Api(StackUrls.from_env(), client), Tokens(settings()), cast)
        return cast

    cast = asyncio.run(go())
    if as_json:
        typer.echo(json.dumps({
            "companies": [{"company_id": c.company_id, "name": c.name, "recruiter_id": c.recruiter_id,
                           "recruiter_name": c.recruiter_name} for c in cast.companies.values()],
            "students": [{"candidate_id": p.candidate_id, "name": p.name} for p in cast.people.values()],
        }, ensure_ascii=False))
        return
    for company in cast.companies.values():
        typer.echo(f"company   {company.company_id:<32} {company.name}  recruiter {company.recruiter_id} "
                   f"({company.recruiter_name})")
    for person in cast.people.values():
        typer.echo(f"student   {person.candidate_id:<32} {person.name}")
    typer.echo("sign in to the console (development login) with a recruiter id and its company id")


@app.command()
def timeline(
    person_id: str = typer.Argument(..., help="candidate id"),
    as_json: bool = typer.Option(False, "--json", help="events and decisions as one JSON document"),
) -> None:
    """A person's timeline: the events that name her, and every contact decision about her with its reason."""
    from tsunagu_tools.demo.timeline import describe_event, local
    from tsunagu_tools.people import events_about
    from tsunagu_tools.stack import Api, StackUrls, Tokens

    async def go(s: ServiceSettings):
        urls = StackUrls.from_env()
        async with httpx.AsyncClient() as client:
            decisions = await Api(urls, client).json("GET", "notify", f"/recipients/{person_id}/decisions",
                                                     token=Tokens(s).admin())
        return decisions, await events_about(s, person_id)

    decisions, events = _kafka(go)
    if as_json:
        typer.echo(json.dumps({"person_id": person_id, "decisions": decisions, "events": [
            {"topic": topic, **e.to_document()} for topic, e in events]}, ensure_ascii=False))
        return
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
    """Play the demo story against the running stack and print its timeline and summary."""
    from tsunagu_tools.demo import run

    run()


def main() -> None:
    """The `tsunagu` command: known failures are one line on stderr and a non-zero status."""
    broker.quiet_kafka_logs()
    try:
        app()
    except CliError as exc:
        typer.echo(f"tsunagu: {exc}", err=True)
        sys.exit(exc.code)
    except KeyboardInterrupt:  # Ctrl-C ends `tail` (or anything else) without a traceback
        sys.exit(130)
    except httpx.HTTPError as exc:
        try:
            where = exc.request.url
        except RuntimeError:  # raised before a request existed
            where = "a Tsunagu service"
        typer.echo(f"tsunagu: cannot reach {where}: {type(exc).__name__}: {exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
