"""What the profiles index holds for a profile, and the versions that keep late writes out."""

from datetime import UTC, datetime

from tsunagu_profile.adapters.search_index import erased_document, profile_document, query
from tsunagu_profile.domain.model import Profile
from tsunagu_profile.domain.search import Cursor, SearchFilters

NOW = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)


def _profile(version: int) -> Profile:
    return Profile(candidate_id="hanako", display_name="Hanako", email="hanako@example.jp", phone="+819012345678",
                   self_pr="機械学習", created_at=NOW, updated_at=NOW, last_active_at=NOW, version=version)


def test_the_document_holds_no_contact_points():
    source = profile_document(_profile(1), ["co-x"]).source
    assert "hanako@example.jp" not in str(source) and "+819012345678" not in str(source)
    assert "contact" not in source and source["blocked_companies"] == ["co-x"]


def test_a_newer_profile_or_a_new_block_outranks_what_the_index_holds_and_erasure_outranks_all():
    versions = [profile_document(_profile(1), []).version, profile_document(_profile(1), ["a"]).version,
                profile_document(_profile(2), ["a"]).version, profile_document(_profile(2), ["a", "b"]).version,
                profile_document(_profile(10**6), ["a"] * 1000).version, erased_document("hanako").version]
    assert versions == sorted(set(versions))


def test_the_query_resumes_after_the_cursor_and_hides_her_from_a_company_she_blocked():
    cursor = Cursor(sort="newest", value=NOW, candidate_id="hanako")
    body = query(SearchFilters(industry="it"), sort="newest", cursor=cursor, limit=21, hidden_from="co-x")
    assert body["search_after"] == [int(NOW.timestamp() * 1000), "hanako"]
    assert body["sort"] == [{"created_at": "desc"}, {"candidate_id": "asc"}]
    assert {"term": {"blocked_companies": "co-x"}} in body["query"]["bool"]["must_not"]
    assert {"term": {"industries": "it"}} in body["query"]["bool"]["filter"]
