"""Errors the handlers raise; the API turns each into one HTTP status with its message."""


class NotFound(Exception):
    """404: no such object, or not one the caller may see (we do not tell which)."""


class Forbidden(Exception):
    """403: the caller is known but may not do this."""


class Conflict(Exception):
    """409: the object's state (quota, cooldown, block, duplicate) refuses the change."""


class Invalid(Exception):
    """422: the input is well-formed but not acceptable; the message names the field."""
