"""Every service against its own OpenAPI document, on the real stack (schemathesis).

For each operation, schemathesis draws a few requests that fit the document (positive) and a few that
do not (negative), each sent with a candidate's, a recruiter's or an admin's token (drawn too). No answer
may be a server error, and every answer must be as the document says: a documented status, content
type and headers, and a body that matches the documented schema. The number of examples is bounded
(`TSUNAGU_FUZZ_EXAMPLES` per operation and mode, 3 by default) so that the five services take a few
minutes at most; a larger number searches deeper."""

import os
import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

SERVICES = ("profile", "scout", "messaging", "events", "notify")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
EXAMPLES = int(os.environ.get("TSUNAGU_FUZZ_EXAMPLES", "3"))


@pytest.mark.slow
@pytest.mark.parametrize("service", SERVICES)
def test_no_server_error_and_every_answer_as_documented(input_stack, service):
    url = input_stack.urls[service]
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    callers = st.sampled_from([input_stack.candidate(), input_stack.recruiter(), input_stack.admin()])
    session = requests.Session()
    failures: list[str] = []
    operations = 0
    took: dict[str, float] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        # Negative data needs something typed to break: a body or a query parameter (a path segment or
        # header is any string; looking for a non-string one only burns time).
        negatable = len(operation.body) > 0 or len(operation.query) > 0
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE) if negatable else (GenerationMode.POSITIVE,):

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), headers=callers)
            def exchange(case, headers) -> None:
                response = case.call(base_url=url, session=session, headers=headers, timeout=30)
                case.validate_response(response, checks=CHECKS, headers=headers)

            started = time.monotonic()
            try:
                exchange()
            except Unsatisfiable:
                continue  # nothing to negate (no parameters, or only a free string): the positive mode covers it
            except BaseException as failure:  # schemathesis reports as an exception group
                if isinstance(failure, (KeyboardInterrupt, SystemExit)):
                    raise
                failures.append(f"{operation.label} ({mode.value}): {str(failure)[:1500]}")
            finally:
                took[f"{operation.label} ({mode.value})"] = time.monotonic() - started
    print(service, "slowest:", sorted(took.items(), key=lambda item: -item[1])[:5])
    assert operations > 3
    assert not failures, f"{len(failures)} of {operations} operations of {service}:\n\n" + "\n\n".join(failures)
