"""A valid sample of any event model, built from its field types (tests, benchmarks, fault injection)."""

import types
import typing
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel

NOW = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


def sample_value(annotation: Any, name: str) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return sample_value(next(a for a in args if a is not type(None)), name)
    if origin is Literal:
        return args[-1]
    if origin is list:
        return [sample_value(args[0], name)]
    if origin is dict:
        return {sample_value(args[0], "key"): sample_value(args[1], name)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return build(annotation)
    simple = {str: f"{name}-値", int: 7, float: 1.5, bool: True, datetime: NOW, date: NOW.date()}
    if annotation in simple:
        return simple[annotation]
    if annotation is Any:
        return {"nested": [1, "two"]}
    raise TypeError(f"no sample for {annotation!r} ({name})")


def build(model: type[BaseModel]) -> BaseModel:
    return model(**{name: sample_value(field.annotation, name) for name, field in model.model_fields.items()})
