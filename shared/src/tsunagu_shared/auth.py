"""JWT authentication and role checks, as FastAPI dependencies.

Roles: candidate (a student, subject = candidate id), recruiter (subject =
recruiter id, with company_id), admin, and service (another Tsunagu service).
Two kinds of token are accepted, both with issuer, audience and expiry checked:
RS256/ES256 tokens of the identity provider people sign in with (tsunagu_shared.identity),
and HS256 tokens signed with the shared secret from settings, which production accepts
only for the roles in `shared_secret_roles` (service-to-service calls). A claim of the
wrong type (a number where a string belongs) is an invalid token (401), like a forged one.
A recruiter's standing (her company suspended, she deactivated) is asked of the service's
view on every request (tsunagu_shared.standing): 403 while it refuses her.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from tsunagu_shared.identity import ASYMMETRIC, IdentityError, provider_keys
from tsunagu_shared.settings import ServiceSettings

Role = Literal["candidate", "recruiter", "admin", "service"]
ROLES: tuple[str, ...] = ("candidate", "recruiter", "admin", "service")


class Principal(BaseModel):
    subject: str
    role: Role
    company_id: str | None = None
    name: str | None = None


class InvalidToken(Exception):
    pass


def issue_token(
    settings: ServiceSettings,
    *,
    subject: str,
    role: Role,
    company_id: str | None = None,
    name: str | None = None,
    ttl: timedelta = timedelta(hours=1),
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": role,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if company_id:
        claims["company_id"] = company_id
    if name:
        claims["name"] = name
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256")


def decode_token(settings: ServiceSettings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["sub", "role", "exp", "iss", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("invalid token") from exc
    return principal_of(claims)


def principal_of(claims: dict[str, Any]) -> Principal:
    """The caller a verified token names; InvalidToken when a claim is missing or of the wrong type."""
    for claim in ("sub", "role", "company_id", "name"):
        if claim in claims and not isinstance(claims[claim], str):
            raise InvalidToken(f"token claim {claim} must be a string")
    if claims.get("role") not in ROLES:
        raise InvalidToken("unknown role")
    if claims["role"] == "recruiter" and not claims.get("company_id"):
        raise InvalidToken("recruiter token without company_id")
    return Principal(
        subject=claims["sub"], role=claims["role"], company_id=claims.get("company_id"), name=claims.get("name")
    )


async def authenticate(settings: ServiceSettings, token: str, holder: object) -> Principal:
    """The caller of a bearer token of either kind; `holder` (the app's state) caches the provider's keys."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError as exc:
        raise InvalidToken("invalid token") from exc
    if algorithm in ASYMMETRIC:
        keys = provider_keys(holder, settings)
        if keys is None:
            raise InvalidToken("tokens of an identity provider are not accepted here")
        try:
            claims = await keys.verify(token, audience=settings.jwt_audience,
                                       required=("sub", "role", "exp", "iss", "aud"))
        except IdentityError as exc:
            raise InvalidToken(str(exc)) from exc
        return principal_of(claims)
    principal = decode_token(settings, token)
    if principal.role not in settings.shared_secret_roles:
        raise InvalidToken(f"a {principal.role} signs in through the identity provider here")
    return principal


_bearer = HTTPBearer(auto_error=False)


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def get_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The authenticated caller; 401 when the token is missing, expired or forged, 403 for a
    recruiter whose company is suspended or who was deactivated (the service's standing view)."""
    if credentials is None:
        raise _unauthorized("missing bearer token")
    try:
        principal = await authenticate(request.app.state.settings, credentials.credentials, request.app.state)
    except InvalidToken as exc:
        raise _unauthorized(str(exc)) from exc
    standing = getattr(getattr(request.app.state, "container", None), "standing", None)
    if principal.role == "recruiter" and standing is not None:
        refused = await standing.refusal(principal)
        if refused:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=refused)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through (403 for the others)."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"role {principal.role} may not do this")
        return principal

    return check


CandidateUser = Annotated[Principal, Depends(require_role("candidate"))]
RecruiterUser = Annotated[Principal, Depends(require_role("recruiter"))]
AdminUser = Annotated[Principal, Depends(require_role("admin"))]
ServiceCaller = Annotated[Principal, Depends(require_role("service", "admin"))]
