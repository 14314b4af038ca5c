"""What every message says beyond its template's variables (domain.delivery.message_variables),
the same for the channel workers and the season simulator."""

from tsunagu_notify.domain.delivery import message_variables


def test_her_name_and_the_sending_company_are_added_and_the_template_variables_kept():
    given = {"company_name": "Acme株式会社", "reason": "ハッカソンでの発表"}
    assembled = message_variables(given, recipient_name="Mio", channel="line", unsubscribe_url="https://x/u/1")
    assert assembled == {"company_name": "Acme株式会社", "reason": "ハッカソンでの発表", "recipient_name": "Mio"}
    assert given == {"company_name": "Acme株式会社", "reason": "ハッカソンでの発表"}  # the request's own stay as sent


def test_a_message_no_company_sends_comes_from_tsunagu_and_a_nameless_recipient_is_not_named():
    assembled = message_variables({}, recipient_name=None, channel="sms", unsubscribe_url=None)
    assert assembled == {"company_name": "Tsunagu", "recipient_name": ""}


def test_only_an_email_carries_the_link_to_stop():
    url = "https://tsunagu.example/unsubscribe/t0k3n"
    assert message_variables({}, recipient_name="Mio", channel="email", unsubscribe_url=url)["unsubscribe_url"] == url
    for channel in ("line", "sms"):
        assert "unsubscribe_url" not in message_variables({}, recipient_name="Mio", channel=channel,
                                                          unsubscribe_url=url)
