"""Bad input is refused with a status and a `loc` that names the field; nothing is changed."""

CASES = [
    ("patch", "/profiles/me", {"json": {"email": "not-an-email"}}, 422, ["body", "email"]),
    ("patch", "/profiles/me", {"json": {"graduation_year": 1800}}, 422, ["body", "graduation_year"]),
    ("patch", "/profiles/me", {"json": {"display_name": None}}, 422, ["body", "display_name"]),
    ("patch", "/profiles/me", {"json": {"favourite_colour": "blue"}}, 422, ["body", "favourite_colour"]),
    ("patch", "/profiles/me/contact-preferences", {"json": {"time_zone": "Mars/Olympus"}}, 422,
     ["body", "time_zone"]),
    ("patch", "/profiles/me/contact-preferences", {"json": {"preferred_channel": "line"}}, 422,
     ["body", "preferred_channel"]),
    ("patch", "/profiles/me/contact-preferences", {"json": {"channels": {"sms": {"consented": True}}}}, 422,
     ["body", "channels", "sms"]),
    ("put", "/profiles/me/selection-progress",
     {"json": {"entries": [{"company_name": "A", "stage": "lunch", "date": "2025-01-01"}]}}, 422,
     ["body", "entries", 0, "stage"]),
    ("post", "/profiles/me/personality-test", {"json": {"answers": {"q01": 3}}}, 422, ["body", "answers", "q02"]),
    ("put", "/profiles/me/photo", {"files": {"photo": ("a.gif", b"GIF89a" + b"\0" * 20, "image/png")}}, 415,
     ["body", "photo"]),
    ("put", "/profiles/me/photo",
     {"files": {"photo": ("a.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (2 * 1024 * 1024), "image/png")}},
     413, ["body", "photo"]),
]


async def test_bad_input_names_the_field_and_changes_nothing(stack):
    me = stack.candidate("cand-v")
    before = await stack.create("cand-v", email="v@example.jp")
    failures = []
    for method, path, kwargs, status, loc in CASES:
        response = await stack.client.request(method, path, headers=me, **kwargs)
        if response.status_code != status or loc not in [d["loc"] for d in response.json()["detail"]]:
            failures.append(f"{method} {path} {kwargs.get('json')}: {response.status_code} {response.text[:300]}")
    assert not failures, "\n".join(failures)
    assert (await stack.client.get("/profiles/me", headers=me)).json() == before
    assert await stack.stored_photo("cand-v") is None
