"""Issue 18: a segment send carries the company's registered name, never one the recruiter writes,
and a send id names one send only (another company reusing it gets 409, not a silent drop)."""

from datetime import UTC, datetime

from tsunagu_notify.testing import NotifyHarness, jst
from tsunagu_shared.events import CompanyStatusChanged
from tsunagu_shared.testing import bearer

NOW = jst(2, 12)  # Monday noon in Tokyo: no quiet hours


async def test_the_sender_is_the_registered_name_and_a_send_id_is_one_send():
    async with NotifyHarness(start=NOW) as notify:
        for company, name in (("co-a", "アクメ株式会社"), ("co-b", "ベータ株式会社")):
            await notify.publish(CompanyStatusChanged(company_id=company, name=name, status="active", change="joined",
                                                      changed_at=datetime.now(UTC)))
        await notify.register("cand-1", preferred="email", line_user_id=None)
        container = notify.app.state.container
        await container.journeys.attributes.insert_one({"_id": "cand-1", "graduation_year": 2027})
        await notify.until(lambda: container.store.name_of("company:co-b"))

        def recruiter(company: str) -> dict:
            return bearer(notify.settings, role="recruiter", subject=f"rec-{company}", company_id=company)

        send = {"segment": {"graduation_years": [2027]}, "message": "説明会のご案内", "send_id": "spring-1"}
        posing = await notify.client.post("/segment-sends", headers=recruiter("co-a"),
                                          json={**send, "company_name": "Tsunagu 運営事務局"})
        assert posing.status_code == 422 and posing.json()["detail"][0]["loc"] == ["body", "company_name"], posing.text

        first = await notify.client.post("/segment-sends", headers=recruiter("co-a"), json=send)
        assert first.status_code == 202 and first.json() == {"send_id": "spring-1", "requested": 1}, first.text
        again = await notify.client.post("/segment-sends", headers=recruiter("co-a"), json=send)
        assert again.status_code == 202, again.text  # the same send repeated: idempotent
        taken = await notify.client.post("/segment-sends", headers=recruiter("co-b"), json=send)
        assert taken.status_code == 409 and taken.json()["detail"].startswith("send_id: spring-1"), taken.text
        reworded = await notify.client.post("/segment-sends", headers=recruiter("co-a"),
                                            json={**send, "message": "別のご案内"})
        assert reworded.status_code == 409, reworded.text
        unknown = await notify.client.post("/segment-sends", headers=recruiter("co-z"),
                                           json={**send, "send_id": "other"})
        assert unknown.status_code == 409 and unknown.json()["detail"].startswith("company_id"), unknown.text

        emails = await notify.until(lambda: notify.recorder.sent("email"))
        assert [e["subject"] for e in emails] == ["アクメ株式会社からのお知らせ"]
        assert "Tsunagu 運営事務局" not in emails[0]["body"]
