"""Segment filters over profile attributes and survey answers (pure)."""

from typing import Any

from tsunagu_notify.domain.journeys.definitions import SegmentFilter


def matches(segment: SegmentFilter | None, attributes: dict[str, Any], answers: dict[str, str]) -> bool:
    """Whether one person (her kept profile attributes and survey answers) is in the segment."""
    if segment is None:
        return True
    if segment.graduation_years and attributes.get("graduation_year") not in segment.graduation_years:
        return False
    if segment.industries and not set(segment.industries) & set(attributes.get("industries") or []):
        return False
    if segment.schools and attributes.get("school") not in segment.schools:
        return False
    if segment.locations and attributes.get("location") not in segment.locations:
        return False
    for question, accepted in segment.survey.items():
        if question not in answers or (accepted and answers[question] not in accepted):
            return False
    return True
