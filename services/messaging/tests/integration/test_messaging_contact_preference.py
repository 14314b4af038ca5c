"""Preferred contact: the company asks, the student answers, and her answer reaches the profile
service's published API (a real HTTP server on a loopback port records the call). When profile
cannot take it, she gets a clear 503 and nothing is saved."""

import asyncio
import socket

import uvicorn
from fastapi import FastAPI, Request, Response
from tsunagu_shared.auth import decode_token


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RecordingProfile:
    """A stand-in for the profile service's contact-preferences endpoint that records what it receives."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict, str]] = []
        self.mode = "ok"  # "slow" (beyond messaging's timeout) or "error" (answers 500)
        self.app = FastAPI()

        @self.app.patch("/profiles/{candidate_id}/contact-preferences")
        async def patch(candidate_id: str, request: Request) -> Response:
            if self.mode == "slow":
                await asyncio.sleep(3)
            if self.mode == "error":
                return Response(status_code=500)
            self.calls.append((candidate_id, await request.json(), request.headers.get("authorization", "")))
            return Response(status_code=200, content=b"{}", media_type="application/json")


async def test_answer_updates_the_profile_or_gives_a_clear_503(stack_with):
    profile = RecordingProfile()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(profile.app, host="127.0.0.1", port=port, log_config=None,
                                           lifespan="off"))
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(100):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started
        async with stack_with(profile_url=f"http://127.0.0.1:{port}", profile_timeout_seconds=0.5) as stack:
            await stack.scout("acme", "hanako")
            tid = (await stack.thread_of("hanako", "acme"))["thread_id"]
            acme, hanako = stack.recruiter("acme"), stack.student("hanako")
            assert (await stack.client.post(f"/threads/{tid}/contact-questions", headers=hanako)).status_code == 403
            asked = await stack.client.post(f"/threads/{tid}/contact-questions", headers=acme)
            assert asked.status_code == 201
            qid = asked.json()["question_id"]

            invalid = await stack.client.post(f"/contact-questions/{qid}/answer", headers=hanako,
                                              json={"channel": "fax"})
            assert invalid.status_code == 422 and invalid.json()["detail"][0]["loc"] == ["body", "channel"]
            assert (await stack.client.post(f"/contact-questions/{qid}/answer", headers=stack.student("yuki"),
                                            json={"channel": "line"})).status_code == 404

            for mode in ("slow", "error"):
                profile.mode = mode
                failed = await stack.client.post(f"/contact-questions/{qid}/answer", headers=hanako,
                                                 json={"channel": "line"})
                assert failed.status_code == 503, (mode, failed.text)
                assert "could not be saved" in failed.json()["detail"]
                stored = (await stack.client.get(f"/threads/{tid}/contact-questions", headers=acme)).json()
                assert stored[0]["answered_channel"] is None
            assert profile.calls == []

            profile.mode = "ok"
            answered = await stack.client.post(f"/contact-questions/{qid}/answer", headers=hanako,
                                               json={"channel": "line"})
            assert answered.status_code == 200 and answered.json()["answered_channel"] == "line"
            assert len(profile.calls) == 1
            candidate_id, body, authorization = profile.calls[0]
            assert (candidate_id, body) == ("hanako", {"preferred_channel": "line"})
            caller = decode_token(stack.settings, authorization.removeprefix("Bearer "))
            assert (caller.role, caller.subject) == ("service", "messaging")
            twice = await stack.client.post(f"/contact-questions/{qid}/answer", headers=hanako,
                                            json={"channel": "sms"})
            assert twice.status_code == 409 and len(profile.calls) == 1

            envelopes = await stack.facts("ContactPreferenceAsked")
            assert [e.type for e in envelopes] == ["ContactPreferenceAsked"]
            assert envelopes[0].event().question_id == qid
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
