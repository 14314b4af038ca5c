"""Sequence definitions as data: the models that validate sequences.toml, and the loader."""

import tomllib
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tsunagu_notify.domain.model import Category, Channel

Year = Annotated[int, Field(ge=1900, le=2200)]
Criterion = Annotated[str, Field(min_length=1, max_length=200)]


class SegmentFilter(BaseModel):
    """Who a message is for: every given criterion must hold (AND); values of one criterion are OR.

    survey: question id -> accepted answers (an empty list: any answer to that question)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Bounded, so that every value is one the database can compare (an integer past 64 bits is not).
    graduation_years: list[Year] = Field(default=[], max_length=50)
    industries: list[Criterion] = Field(default=[], max_length=100)
    schools: list[Criterion] = Field(default=[], max_length=100)
    locations: list[Criterion] = Field(default=[], max_length=100)
    survey: dict[Criterion, list[Criterion]] = Field(default={}, max_length=20)


class Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z0-9_]+$")
    days: float
    template: str


class SequenceDefinition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9_]+$")
    triggers: list[str] = Field(min_length=1)
    goals: list[str] = Field(min_length=1)
    category: Category
    channel: Channel | None = None
    anchor: Literal["trigger", "deadline"] = "trigger"
    stop_at_deadline: bool = False
    segment: SegmentFilter | None = None
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _steps_are_distinct(self) -> "SequenceDefinition":
        names = [s.name for s in self.steps]
        if len(set(names)) != len(names):
            raise ValueError(f"sequence {self.name}: step names repeat")
        return self


class SequenceFile(BaseModel):
    sequence: list[SequenceDefinition]


def parse(text: str) -> tuple[SequenceDefinition, ...]:
    """Validate a sequences TOML text (templates are checked against the catalogue too)."""
    from tsunagu_notify.domain.templates import TEMPLATES

    sequences = tuple(SequenceFile.model_validate(tomllib.loads(text)).sequence)
    unknown = {s.template for seq in sequences for s in seq.steps} - set(TEMPLATES)
    if unknown:
        raise ValueError(f"unknown templates in sequences: {sorted(unknown)}")
    return sequences


@cache
def sequences() -> tuple[SequenceDefinition, ...]:
    """The sequences shipped with the service (package data: read from the installed package, not a path)."""
    return parse(resources.files(__package__).joinpath("sequences.toml").read_text(encoding="utf-8"))
