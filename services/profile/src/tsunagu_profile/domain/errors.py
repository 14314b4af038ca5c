"""Domain errors: a rule refused a value, naming the field it is about."""


class InvalidField(ValueError):
    """A value broke a domain rule; `loc` names the field as in a 422 from FastAPI."""

    def __init__(self, loc: tuple[str, ...], message: str) -> None:
        super().__init__(f"{'.'.join(loc)}: {message}")
        self.loc = loc
        self.message = message
