"""The CloudEvents envelope, from the tsunagu-contracts package (contracts/), by its old name."""

from tsunagu_contracts.envelope import CONTENT_TYPE, Envelope, UnknownEventType

__all__ = ["CONTENT_TYPE", "Envelope", "UnknownEventType"]
