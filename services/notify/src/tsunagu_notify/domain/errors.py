"""Refusals of notify's rules; `entrypoints/api.py` says once how each is answered over HTTP."""


class RecipientNotVisible(Exception):
    """Only the person herself and admins see a recipient; anyone else is told there is none,
    so the API does not reveal whether someone is a recipient."""


class SendRefused(Exception):
    """This caller may not send to a segment as asked (her role, or another company than hers)."""


class PlatformNameRefused(Exception):
    """A company's send carries the company's registered name: a sender's name is only for a platform send."""

    loc = ("body", "company_name")
    message = "a company's send carries its registered name; company_name names only a platform send"
