"""Daily recommended companies: rank by fit, stable for one student on one day."""

import hashlib
from collections.abc import Iterable, Set

from tsunagu_scout.domain.model import Candidate, Company


def _terms(values: Iterable[object]) -> set[str]:
    return {str(v).strip().casefold() for v in values if v is not None and str(v).strip()}


def fit(candidate: Candidate, company: Company) -> int:
    """How well a company fits a student: shared industries, same location, what it scouts for."""
    score = 3 * len(_terms(candidate.industries) & _terms(company.industries))
    if candidate.location and company.location and _terms([candidate.location]) == _terms([company.location]):
        score += 2
    facts = _terms([*candidate.industries, candidate.location, candidate.school, candidate.graduation_year])
    score += 2 * len(facts & _terms(company.scouts_for))
    return score


def _daily_tiebreak(candidate_id: str, company_id: str, day: str) -> str:
    return hashlib.sha256(f"{candidate_id}|{company_id}|{day}".encode()).hexdigest()


def recommend(candidate: Candidate, companies: list[Company], *, day: str, limit: int,
              excluded: Set[str] = frozenset()) -> list[tuple[Company, int]]:
    """The day's short list: best fit first; equal fits in an order that changes day by day."""
    ranked = sorted(
        (
            (company, fit(candidate, company))
            for company in companies
            if company.status == "active" and company.company_id not in excluded
        ),
        key=lambda pair: (-pair[1], _daily_tiebreak(candidate.candidate_id, pair[0].company_id, day)),
    )
    return ranked[:limit]
