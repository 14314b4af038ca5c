"""Which cookies the console marks Secure: all of them, but on a plain-HTTP loopback stack."""

import pytest
from tsunagu_console.app import ConsoleSettings


@pytest.mark.parametrize(("public_url", "secure"), [
    ("https://console.tsunagu.example", True),
    ("http://console.tsunagu.example", True),  # a misconfigured proxy must not drop the flag
    ("https://127.0.0.1:8000", True),
    ("http://127.0.0.1:8000", False),
    ("http://localhost:8000/", False),
])
def test_session_cookies_are_secure_except_on_a_loopback_development_stack(public_url, secure):
    assert ConsoleSettings(console_public_url=public_url).cookies_secure is secure
