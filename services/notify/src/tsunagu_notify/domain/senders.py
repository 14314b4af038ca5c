"""Who a segment send is from: admins send for any company or for the platform, a recruiter only
for her own company, under its registered name; nobody else sends to segments."""

from tsunagu_notify.domain.errors import PlatformNameRefused, SendRefused


def sending_company(role: str, own_company: str | None, company_id: str | None,
                    company_name: str | None) -> str | None:
    """The company a send is made for (None: the platform), or the refusal of it."""
    if role == "recruiter":
        if company_id not in (None, own_company):
            raise SendRefused("company_id: not your company")
        company_id = own_company
    elif role != "admin":
        raise SendRefused(f"role {role} may not send to segments")
    if company_id is not None and company_name is not None:
        raise PlatformNameRefused()
    return company_id
