"""Phone numbers and email addresses, read the same way by every service.

A phone number is kept in E.164 (`+819012345678`), the only form Twilio and LINE accept; one
written without a country code (`090-1234-5678`) is read as a number of the default region
(`TSUNAGU_DEFAULT_PHONE_REGION`, JP). A number that cannot exist (too short, an unassigned prefix)
is refused. An email address is checked for its syntax by email-validator (no DNS look-up: a
domain that does not answer today may tomorrow, and a bounce tells us for sure), and kept with its
domain in lower case, and its local part too (nobody reuses an address that differs only in case).
"""

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, StringConstraints

_default_region = "JP"


def use_default_region(region: str) -> None:
    """The region of numbers written without a country code, from the service's settings."""
    global _default_region
    _default_region = region.upper()


def e164(number: str, *, region: str | None = None) -> str:
    """The number in E.164; ValueError (saying why) when it is not a possible number."""
    try:
        parsed = phonenumbers.parse(number, region or _default_region)
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number (e.g. 090-1234-5678 or +819012345678)") from None
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a phone number that can exist (check its digits and country code)")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email_address(address: str) -> str:
    """The address, normalised and in lower case; ValueError (saying why) when it is not one."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not an email address: {exc}") from None
    return checked.normalized.lower()


# Request fields: a bad value is a 422 whose `loc` names the field.
PhoneNumber = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(lambda v: e164(v)),
    Field(description="a phone number; without a country code it is read as one of the default region (JP). "
                      "Stored and answered in E.164, e.g. +819012345678", examples=["+819012345678"]),
]
EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(email_address),
    Field(description="an email address (stored in lower case)", examples=["hanako@example.jp"]),
]
