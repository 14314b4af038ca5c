"""The people of the demo: three companies with a recruiter each, and a handful of students.

Every id carries a run tag, so the story can be played again on the same stack without
meeting the caps and cooldowns of an earlier run. `seed_cast` creates them through the
public APIs only (admin for companies, each student with her own token).
"""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date

from tsunagu_tools.stack import Api, Tokens, eventually


@dataclass(frozen=True)
class Company:
    key: str
    company_id: str
    name: str
    recruiter_id: str
    recruiter_name: str
    industries: tuple[str, ...] = ()


@dataclass
class Person:
    """A student (or an ATS applicant) and where the providers reach her."""

    key: str
    candidate_id: str
    name: str
    email: str | None = None
    phone: str | None = None
    line_user_id: str | None = None
    time_zone: str = "Asia/Tokyo"

    def addresses(self) -> dict[str, str]:
        points = {"line": self.line_user_id, "twilio": self.phone, "email": self.email}
        return {provider: address for provider, address in points.items() if address}


@dataclass
class Cast:
    run: str
    companies: dict[str, Company]
    people: dict[str, Person] = field(default_factory=dict)

    def company(self, key: str) -> Company:
        return self.companies[key]

    def person(self, key: str) -> Person:
        return self.people[key]


def new_cast(run: str | None = None) -> Cast:
    """The demo's companies and students, with ids unique to this run."""
    run = run or secrets.token_hex(3)
    companies = {
        "A": Company("A", f"sakura-robotics-{run}", "さくらロボティクス", f"rec-sato-{run}", "佐藤 美咲",
                     ("robotics",)),
        "B": Company("B", f"minato-foods-{run}", "みなとフーズ", f"rec-tanaka-{run}", "田中 健", ("food",)),
        "C": Company("C", f"kita-logistics-{run}", "北ロジスティクス", f"rec-suzuki-{run}", "鈴木 一郎",
                     ("logistics",)),
    }
    people = {
        "hana": Person("hana", f"demo-{run}-hana", "山田 花", line_user_id="U" + uuid.uuid4().hex),
        # 090-0 is not an allocated mobile range: the number must be one a phone can have
        "ken": Person("ken", f"demo-{run}-ken", "佐々木 健",
                      phone=f"+8190{1 + secrets.randbelow(9)}{secrets.randbelow(10**7):07d}"),
        "aoi": Person("aoi", f"demo-{run}-aoi", "小林 葵", email=f"aoi.{run}@students.example"),
    }
    return Cast(run=run, companies=companies, people=people)


async def seed_companies(api: Api, tokens: Tokens, cast: Cast) -> None:
    """Each company joins with a plan, and its recruiter is added."""
    admin = tokens.admin()
    for company in cast.companies.values():
        plan = {"name": "standard", "monthly_quota": {"regular": 20, "premium": 2}, "max_awaiting": 20}
        await api.call("POST", "scout", "/admin/companies", token=admin, json={
            "company_id": company.company_id, "name": company.name, "plan": plan,
            "industries": list(company.industries), "location": "Tokyo", "scouts_for": list(company.industries)})
        await api.call("PUT", "scout", f"/admin/companies/{company.company_id}/recruiters/{company.recruiter_id}",
                       token=admin, json={"display_name": company.recruiter_name})


def _profile_body(person: Person) -> dict:
    channels: dict[str, dict] = {}
    preferred = None
    if person.line_user_id:
        channels["line"], preferred = {"consented": True, "source": "demo signup"}, "line"
    if person.phone:
        channels["sms"], preferred = {"consented": True, "source": "demo signup"}, preferred or "sms"
    if person.email:
        channels["email"], preferred = {"consented": True, "source": "demo signup"}, preferred or "email"
    return {
        "display_name": person.name, "email": person.email, "phone": person.phone,
        "school": "東京工業大学", "faculty": "工学部", "graduation_year": date.today().year + 1,
        "self_pr": "ロボットの制御ソフトを作っています。", "industries": ["robotics", "food"], "location": "Tokyo",
        "contact_preferences": {"channels": channels, "preferred_channel": preferred, "time_zone": person.time_zone,
                                "locale": "ja"},
    }


async def register_student(api: Api, tokens: Tokens, person: Person) -> dict:
    """She creates her profile with her contact preferences and consent."""
    return await api.json("POST", "profile", "/profiles/me", token=tokens.candidate(person.candidate_id),
                          json=_profile_body(person))


async def link_line(api: Api, tokens: Tokens, person: Person) -> None:
    """Her LINE account is linked (notify learns her LINE user id once it knows her)."""

    async def linked() -> bool:
        await api.call("PUT", "notify", f"/recipients/{person.candidate_id}/line", token=tokens.service(),
                       json={"line_user_id": person.line_user_id})
        return True

    await eventually(linked, what=f"notify to know {person.name} before linking LINE")


async def wait_until_recruiter_may_search(api: Api, tokens: Tokens, company: Company) -> None:
    """The profile service learns of the company and its recruiter from scout's events."""
    token = tokens.recruiter(company.recruiter_id, company.company_id)
    await eventually(lambda: api.json("GET", "profile", "/profiles?limit=1", token=token),
                     what=f"profile to accept recruiters of {company.name}")


async def seed_cast(api: Api, tokens: Tokens, cast: Cast) -> None:
    """Companies, recruiters and students of the cast, ready to search and to be reached."""
    await seed_companies(api, tokens, cast)
    for person in cast.people.values():
        await register_student(api, tokens, person)
        if person.line_user_id:
            await link_line(api, tokens, person)
    for company in cast.companies.values():
        await wait_until_recruiter_may_search(api, tokens, company)
