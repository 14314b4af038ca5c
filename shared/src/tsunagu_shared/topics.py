"""The topic registry: every topic Tsunagu uses, and who writes it.

Topics are per aggregate family, keyed by aggregate id. Every
consumer group has its own dead-letter topic, `<group>.dlq`.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    name: str
    owner: str
    partitions: int = 6
    retention_days: int = 14
    description: str = ""
    # Kafka keeps the newest record of each key for good (a changelog), not the last `retention_days`.
    compacted: bool = False


PROFILE_EVENTS = Topic("profile.events", "profile", description="Candidate profiles and contact preferences")
SCOUT_EVENTS = Topic("scout.events", "scout", description="Companies, recruiters, scouts, requests, campaigns")
MESSAGING_EVENTS = Topic("messaging.events", "messaging", description="Threads, messages, interviews, offers")
EVENTS_EVENTS = Topic("events.events", "events", description="Matching events and info sessions")
NOTIFY_INTENTS = Topic("notify.intents", "notify", description="Notification intents, keyed by recipient id")
NOTIFY_DELIVERIES = Topic("notify.deliveries", "notify",
                          description="Decisions and delivery outcomes, keyed by recipient id")

# notify's stream processor, internal: records on them are not CloudEvents and no other service
# reads them. All three are co-partitioned with notify.intents (same key, same partition count),
# so the owner of her intents partition is the one that changes her state.
NOTIFY_RECIPIENT_CHANGES = Topic("notify.recipient-changes", "notify",
                                 description="Changes to one person's contact state, keyed by recipient id")
NOTIFY_RECIPIENT_STATE = Topic("notify.recipient-state", "notify", compacted=True,
                               description="Changelog of each person's contact state, keyed by recipient id")
NOTIFY_POLICY_EFFECTS = Topic("notify.policy-effects", "notify",
                              description="What notify's views must show of each decision, keyed by recipient id")
# notify's channel workers: what the policy asked them to send (or no longer to send), and the
# deliveries waiting for a retry (a changelog per partition), both co-partitioned like the above.
NOTIFY_DELIVERY_REQUESTS = Topic("notify.delivery-requests", "notify",
                                 description="Deliveries to send and cancellations, keyed by recipient id")
NOTIFY_DELIVERY_RETRIES = Topic("notify.delivery-retries", "notify", compacted=True,
                                description="Changelog of deliveries waiting for a retry, keyed by delivery key")
INTERNAL_TOPICS: tuple[Topic, ...] = (NOTIFY_RECIPIENT_CHANGES, NOTIFY_RECIPIENT_STATE, NOTIFY_POLICY_EFFECTS,
                                      NOTIFY_DELIVERY_REQUESTS, NOTIFY_DELIVERY_RETRIES)

ALL_TOPICS: tuple[Topic, ...] = (
    PROFILE_EVENTS,
    SCOUT_EVENTS,
    MESSAGING_EVENTS,
    EVENTS_EVENTS,
    NOTIFY_INTENTS,
    NOTIFY_DELIVERIES,
)

# Consumer groups, one per consuming component; each has a dead-letter topic.
CONSUMER_GROUPS: dict[str, tuple[Topic, ...]] = {
    # profile: the company directory and blocks; consent given or withdrawn on a channel (notify)
    "profile": (SCOUT_EVENTS, NOTIFY_DELIVERIES),
    # profile's projector: its own events into the profiles search index
    "profile-search": (PROFILE_EVENTS,),
    "scout": (PROFILE_EVENTS, MESSAGING_EVENTS, EVENTS_EVENTS),
    # scout's projector: its own events into the scouts search index (the sent and received lists)
    "scout-search": (SCOUT_EVENTS,),
    "messaging": (SCOUT_EVENTS, EVENTS_EVENTS, PROFILE_EVENTS),
    # messaging's projector: its own events into the threads search index (each person's threads)
    "messaging-search": (MESSAGING_EVENTS,),
    # scout.events: company and recruiter standing for the auth layer (tsunagu_shared.standing)
    "events": (PROFILE_EVENTS, SCOUT_EVENTS),
    # the events service's projector: its own events into the events search index (upcoming events)
    "events-search": (EVENTS_EVENTS,),
    "notify": (PROFILE_EVENTS, SCOUT_EVENTS, MESSAGING_EVENTS, EVENTS_EVENTS),
    # notify's policy stage: one person's intents and state changes, in order, on one worker
    "notify-policy": (NOTIFY_INTENTS, NOTIFY_RECIPIENT_CHANGES),
    # notify's projector: decisions, deferrals, deliveries and state into the database views
    "notify-views": (NOTIFY_POLICY_EFFECTS,),
    # notify's channel workers: deliveries sent, retried and recorded, one transaction per partition
    "notify-delivery": (NOTIFY_DELIVERY_REQUESTS,),
}


def topic_name(topic: Topic | str, prefix: str = "") -> str:
    name = topic.name if isinstance(topic, Topic) else topic
    return f"{prefix}{name}"


def dlq_name(group: str, prefix: str = "") -> str:
    return f"{prefix}{group}.dlq"


def all_topic_names(prefix: str = "") -> list[str]:
    """Every topic a stack needs, dead-letter topics included."""
    names = [topic_name(t, prefix) for t in ALL_TOPICS + INTERNAL_TOPICS]
    names += [dlq_name(group, prefix) for group in CONSUMER_GROUPS]
    return names
