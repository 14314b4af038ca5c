"""The "why you" rule, table-tested in Japanese and English."""

import pytest
from tsunagu_scout.domain.why_you import HerProfile, NotWhyYou, check_why_you, content_terms, refers_to_her

HANA = HerProfile(school="東京工業大学", faculty="工学部", self_pr="ロボットの制御ソフトを作っています。",
                  industries=("robotics", "food"))
EMMA = HerProfile(school="Keio University", faculty="Faculty of Economics",
                  self_pr="I led a team that built a price-comparison app for farmers' markets.",
                  industries=("fintech",), job_types=("data analyst",), languages=("en",),
                  events_attended=("Osaka Fintech Meetup 2026",))


@pytest.mark.parametrize("her, reason", [
    (HANA, "制御ソフトの経験が、当社の協働ロボット開発にぴったりだと思いました。"),  # a run of her self-PR
    (HANA, "食品工場の自動化で、あなたのロボット制御の知識を活かしてほしいです。"),
    (HANA, "東京工業大学で学ばれたことを当社で活かしてください。"),  # her school, as a substring
    (HANA, "工業大学での学びを活かしてください。"),  # bigrams of her school (工業, 業大)
    (HANA, "工学部で学んだ知識をぜひ当社で。"),  # her faculty
    (HANA, "Your interest in robotics matches our roadmap."),  # an industry slug, in English
    (HerProfile(self_pr="機械学習で農業を変えたい"), "機械学習の経験を、当社の農業分野で活かしてほしい。"),
    (EMMA, "The farmers' markets app you built is exactly what our payments team does."),
    (EMMA, "Studying at Keio and liking numbers: we have a seat for you."),
    (EMMA, "You speak English at a business level; our clients are abroad."),  # a language of hers
    (EMMA, "We met at the Osaka Fintech Meetup and loved your questions."),  # an event she attended
    (EMMA, "We need a data analyst who has shipped something real."),  # a job type of hers
    (EMMA, "Your price comparison work is relevant to our pricing desk."),  # words of her self-PR
])
def test_a_reason_that_names_something_of_hers_passes(her, reason):
    assert refers_to_her(reason, her)
    check_why_you(reason, her)


@pytest.mark.parametrize("reason, missing", [
    ("1234567890", "no words"),
    ("..........", "no words"),
    ("１２３４５６７８９０！", "no words"),  # full-width digits, NFKC
    ("ああああああああああ", "repeats the same characters"),
    ("wwwwwwwwwwwwwww", "repeats the same characters"),
    ("test test test test", "repeats the same characters"),
    ("ぜひぜひぜひぜひぜひ", "repeats the same characters"),
    ("We think you would be a great fit for our company.", "generic sentence"),
    ("あなたのプロフィールを拝見し、ぜひ弊社で活躍していただきたいと思いました。", "generic sentence"),
    ("Your background and skills are impressive; join our team!", "generic sentence"),
    ("貴方のご経歴に大変興味を持ちました。ぜひ一度お話ししましょう。", "generic sentence"),
    ("あなたのポテンシャルに期待しています！弊社のチームメンバーとして活躍しませんか？", "generic sentence"),
    ("当社の物流倉庫で働きませんか。", "names nothing of her profile"),  # words, but none of hers
    ("Our Nagoya plant hires engineers every spring.", "names nothing of her profile"),
])
def test_a_reason_that_could_go_to_anyone_is_refused_with_what_is_missing(reason, missing):
    with pytest.raises(NotWhyYou) as refused:
        check_why_you(reason, HANA)
    message = str(refused.value)
    assert message.startswith("reason:") and missing in message
    assert "what_in_her_profile" in message and "self-PR" in message  # tells the recruiter what to add


def test_an_explicit_answer_about_her_profile_lets_a_plain_reason_through():
    reason = "当社の物流倉庫で働きませんか。"
    check_why_you(reason, HANA, what_in_her_profile="選考状況に物流業界の三次面接があったため")
    check_why_you("Our Nagoya plant hires engineers every spring.", HerProfile(),
                  what_in_her_profile="Her personality test says she likes hands-on problems")


@pytest.mark.parametrize("answer, missing", [
    ("1111111111", "no words"),
    ("ああああああああ", "repeats the same characters"),
    ("your profile", "stock phrases"),
    ("プロフィールを拝見して", "stock phrases"),
])
def test_an_empty_handed_answer_is_refused_too(answer, missing):
    with pytest.raises(NotWhyYou, match=f"what_in_her_profile: .*{missing}"):
        check_why_you("当社の物流倉庫で働きませんか。", HANA, what_in_her_profile=answer)


def test_a_lazy_reason_is_refused_even_with_an_answer():
    with pytest.raises(NotWhyYou, match="reason: repeats"):
        check_why_you("ああああああああああ", HANA, what_in_her_profile="ロボット制御ソフトの自主制作")


def test_stock_words_of_her_profile_never_count_as_hers():
    her = HerProfile(self_pr="大学で研究の経験を積みました", school="Some University")
    assert content_terms(her.self_pr) == set()  # 大学, 研究, 経験 are stock words
    assert not refers_to_her("研究の経験がある学生を探しています", her)
    assert not refers_to_her("Every university student is welcome", her)
