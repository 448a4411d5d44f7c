"""Every auto-moderation rule, each alone, then the pipeline through the posting view."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from comments import forms, moderation
from comments.models import BlockedCommenter, BlockedTerm, Comment, keyed_hash
from tests.comments.conftest import aged_token, post_comment
from tests.factories import ArticleFactory, CommentFactory, UserFactory

pytestmark = pytest.mark.django_db


def submission(article, *, form_age=60.0, honeypot="", **kwargs):
    """The unsaved comment the form would build, with what its protections found."""
    values = {
        "article": article,
        "body": "An ordinary, friendly comment.",
        "name": "Ada",
        "email": "ada@example.org",
        "ip_hash": keyed_hash("ip", "203.0.113.9"),
    }
    values.update(kwargs)
    comment = Comment(**values)
    comment.form_age, comment.honeypot = form_age, honeypot
    return comment


def form(article, **fields):
    data = {"name": "Ada", "email": "ada@example.org", "body": "Fine words.", **fields}
    return forms.CommentForm(data, article=article)


# Body shape: checked once, by the form ---------------------------------------------


@pytest.mark.parametrize(
    "body, words",
    [
        ("", "required"),
        ("   \n\t  ", "empty"),
        ("nul \x00 byte", "Null"),
        ("bell \x07 char", "control"),
        ("escape \x1b[31m red", "control"),
        ("x" * 5001, "too long"),
    ],
)
def test_form_refuses_unacceptable_bodies(article, body, words):
    bound = form(article, body=body)
    assert not bound.is_valid()
    assert words in " ".join(bound.errors["body"])


def test_form_accepts_newlines_and_tabs(article):
    assert form(article, body="one\n\ttwo\r\nthree").is_valid()


def test_length_limit_comes_from_settings(article, settings):
    settings.COMMENTS_MAX_LENGTH = 10
    assert form(article, body="x" * 11).has_error("body", "too_long")
    assert form(article, body="x" * 10).is_valid()


def test_control_characters_in_the_name_are_refused(article):
    assert not form(article, name="bell \x07").is_valid()


# Honeypot and timing ---------------------------------------------------------------


def test_filled_honeypot_is_spam(article):
    verdict = moderation.rule_honeypot(submission(article, honeypot="http://spam.example"))
    assert verdict.status == Comment.Status.SPAM
    assert "Honeypot" in verdict.reason
    assert moderation.rule_honeypot(submission(article)) is None


def test_missing_or_forged_timestamp_is_spam(article):
    verdict = moderation.rule_timing(submission(article, form_age=None))
    assert verdict.status == Comment.Status.SPAM
    other = ArticleFactory()
    for token in ("", "12:abc:forged", forms.form_token(other.pk)):
        bound = form(article, token=token)
        assert bound.is_valid()
        assert bound.get_comment().form_age is None


def test_post_faster_than_the_minimum_is_spam(article, settings):
    settings.COMMENTS_MIN_FORM_SECONDS = 3
    verdict = moderation.rule_timing(submission(article, form_age=1.2))
    assert verdict.status == Comment.Status.SPAM
    assert "1.2 s" in verdict.reason
    assert moderation.rule_timing(submission(article, form_age=3.5)) is None


def test_form_age_is_measured_from_the_signed_timestamp(article):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        token = forms.form_token(article.pk)
    with time_machine.travel(start + datetime.timedelta(seconds=42), tick=False):
        bound = form(article, token=token)
        assert bound.is_valid()
        assert bound.get_comment().form_age == pytest.approx(42, abs=1)


# Bans ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, status", [("hold", "pending"), ("reject", "rejected"), ("spam", "spam")]
)
def test_banned_email_gets_the_ban_action(article, action, status):
    BlockedCommenter.objects.create(email="Troll@Example.org", action=action)
    verdict = moderation.rule_banned(submission(article, email="troll@example.ORG"))
    assert verdict.status == status
    assert "e-mail" in verdict.reason


def test_banned_address_hash(article):
    ip_hash = keyed_hash("ip", "198.51.100.66")
    BlockedCommenter.objects.create(ip_hash=ip_hash, action="spam", note="flooding")
    verdict = moderation.rule_banned(submission(article, ip_hash=ip_hash, email=""))
    assert verdict.status == "spam"
    assert "flooding" in verdict.reason
    assert moderation.rule_banned(submission(article)) is None


# Duplicates and spam waves ------------------------------------------------------------


def test_same_text_from_the_same_commenter_is_a_duplicate(article):
    sub = submission(article, body="Buy my thing today!")
    earlier = CommentFactory(article=article, body="buy  MY thing today", ip_hash=sub.ip_hash)
    verdict = moderation.rule_duplicate(sub)
    assert verdict.status == Comment.Status.REJECTED
    assert f"#{earlier.pk}" in verdict.reason


def test_near_duplicate_from_the_same_commenter_is_held(article):
    sub = submission(article, body="The council should really reconsider this budget plan now")
    CommentFactory(
        article=article,
        body="The council should really reconsider the budget plans now",
        email="ada@example.org",
        ip_hash="",
    )
    verdict = moderation.rule_duplicate(sub)
    assert verdict.status == Comment.Status.PENDING
    assert "nearly the same" in verdict.reason


def test_same_text_from_someone_else_is_not_a_duplicate(article):
    CommentFactory(
        article=article, body="An ordinary, friendly comment.", ip_hash="other", email="b@x.org"
    )
    assert moderation.rule_duplicate(submission(article)) is None


def test_same_text_across_many_articles_is_a_spam_wave(article, settings):
    settings.COMMENTS_SPAM_WAVE_ARTICLES = 3
    text = "Visit my shop for cheap watches"
    CommentFactory(article=ArticleFactory(), body=text, ip_hash="a")
    assert moderation.rule_spam_wave(submission(article, body=text)) is None
    CommentFactory(article=ArticleFactory(), body=text.upper(), ip_hash="b")
    verdict = moderation.rule_spam_wave(submission(article, body=text))
    assert verdict.status == Comment.Status.SPAM
    assert "3 articles" in verdict.reason


def test_old_copies_do_not_make_a_wave(article):
    text = "Same words as last month"
    for _ in range(3):
        CommentFactory(
            article=ArticleFactory(),
            body=text,
            created_at=timezone.now() - datetime.timedelta(days=3),
        )
    assert moderation.rule_spam_wave(submission(article, body=text)) is None


# Blocked terms -------------------------------------------------------------------------


@pytest.fixture
def terms(db):
    BlockedTerm.objects.create(term="viagra", action="spam")
    BlockedTerm.objects.create(term="ass", action="hold")
    BlockedTerm.objects.create(term="cunt", action="reject")
    BlockedTerm.objects.create(term="kill yourself", action="reject")


@pytest.mark.parametrize(
    "body",
    [
        "buy viagra now",
        "buy VIAGRA now",
        "buy víágrá now",  # accents
        "buy \uff56\uff49\uff41\uff47\uff52\uff41 now",  # full-width letters
        "buy vi\u200bag\u200dra now",  # zero-width characters
        "buy vi\u00adagra now",  # soft hyphen
        "buy vi<b></b>agra now",  # inserted markup
        "buy <span>viagra</span> now",
        "buy vi&#97;gra now",  # an entity
        "buy v\u0131agra now".replace("\u0131", "i"),
        "buy Viagra.",
        "(viagra)",
        "buy v\u0456agra now",  # Cyrillic i
        "buy \u0432\u0456\u0430gr\u0430 now".replace("\u0432", "v"),  # Cyrillic i and a
        "buy vi\u03b1gr\u03b1 now",  # Greek alpha
        "buy VIAGR\u0410 now",  # Cyrillic capital A
        "buy v.i.a.g.r.a now",
        "buy v i a g r a now",
        "buy v-i-a-g-r-a now",
        "buy v_i_a_g_r_a now",
        "buy v\u200ci\u2060a\ufeffgra now",  # zero-width non-joiner, word joiner, BOM
        "buy vi\u034fag\ufe0fra now",  # combining grapheme joiner, variation selector
        "buy v\u00b7i\u00b7a\u00b7g\u00b7r\u00b7a now",  # middle dots
    ],
)
def test_blocked_term_is_found_through_evasions(article, terms, body):
    verdict = moderation.rule_blocked_terms(submission(article, body=body))
    assert verdict is not None, body
    assert verdict.status == Comment.Status.SPAM
    assert "viagra" in verdict.reason


@pytest.mark.parametrize(
    "body",
    [
        "I grew up in Scunthorpe.",
        "A classic assessment of the class.",
        "The passage was embarrassing.",
        "Skills you can kill time with.",
        "Assassins and bass players.",
        "We travelled via Graz to Vienna.",
        "I will kill this bug tonight.",
        "He'll kill the process, then yourself can restart it.",
        "Hell yes, he'll come: it's all fine.",
        "The Greek letter \u03b1 and the Cyrillic \u0434\u0430.",
    ],
)
def test_innocent_words_containing_a_term_are_not_hit(article, terms, body):
    assert moderation.rule_blocked_terms(submission(article, body=body)) is None


@pytest.mark.parametrize(
    "body",
    [
        "just KILL   yourself",
        "just kill_yourself",
        "just kill.yourself",
        "just k i l l yourself",
        "just kill y o u r s e l f",
        "just k\u0456ll y\u043eurself",  # Cyrillic i and o
        "just kill\u00adyour\u00adself",  # soft hyphens
    ],
)
def test_multi_word_term_matches_across_separators(article, terms, body):
    verdict = moderation.rule_blocked_terms(submission(article, body=body))
    assert verdict is not None, body
    assert verdict.status == Comment.Status.REJECTED


def test_a_term_never_spans_the_name_and_the_body(article, terms):
    assert moderation.rule_blocked_terms(submission(article, name="Kill", body="yourself")) is None


def test_blocked_term_in_the_name_counts(article, terms):
    verdict = moderation.rule_blocked_terms(submission(article, name="Viagra Seller"))
    assert verdict.status == Comment.Status.SPAM


def test_hold_term_holds(article, terms):
    verdict = moderation.rule_blocked_terms(submission(article, body="What an ass."))
    assert verdict.status == Comment.Status.PENDING
    assert "Blocked term" in verdict.reason


def test_blocked_term_with_accents_in_the_list_matches_plain_text(article):
    BlockedTerm.objects.create(term="Crème", action="hold")
    assert moderation.rule_blocked_terms(submission(article, body="creme brulee")) is not None


# Links -----------------------------------------------------------------------------------


def test_too_many_links_are_held(article, settings):
    settings.COMMENTS_MAX_LINKS = 2
    two = "see https://a.example and http://b.example"
    three = two + " and www.c.example"
    assert moderation.rule_links(submission(article, body=two)) is None
    verdict = moderation.rule_links(submission(article, body=three))
    assert verdict.status == Comment.Status.PENDING
    assert "3" in verdict.reason


# Trust ---------------------------------------------------------------------------------------


def test_trust_needs_the_setting(article, settings):
    settings.COMMENTS_AUTO_APPROVE_TRUSTED = False
    staff = UserFactory(is_staff=True)
    assert moderation.rule_trust(submission(article, user=staff)) is None


def test_staff_and_proven_readers_are_trusted(article, settings):
    settings.COMMENTS_AUTO_APPROVE_TRUSTED = True
    staff = UserFactory(is_staff=True)
    assert moderation.rule_trust(submission(article, user=staff)).status == "approved"
    reader = UserFactory()
    assert moderation.rule_trust(submission(article, user=reader)) is None
    CommentFactory(article=article, user=reader, status="approved")
    assert moderation.rule_trust(submission(article, user=reader)).status == "approved"
    CommentFactory(article=article, user=reader, status="spam")
    assert moderation.rule_trust(submission(article, user=reader)) is None


def test_typed_name_and_email_never_earn_trust(article, settings):
    settings.COMMENTS_AUTO_APPROVE_TRUSTED = True
    staff = UserFactory(is_staff=True, email="boss@example.org", first_name="Boss")
    CommentFactory(article=article, email="boss@example.org", name="Boss", status="approved")
    verdict = moderation.rule_trust(submission(article, user=None, email=staff.email, name="Boss"))
    assert verdict is None


# The pipeline --------------------------------------------------------------------------------


def test_default_is_pre_moderation(article):
    status, reasons = moderation.run(submission(article))
    assert status == "pending"
    assert reasons == ["Pre-moderation: waiting for a moderator."]


def test_a_hold_stops_trust_from_approving(article, settings):
    settings.COMMENTS_AUTO_APPROVE_TRUSTED = True
    staff = UserFactory(is_staff=True)
    body = "links https://a.example https://b.example https://c.example"
    status, reasons = moderation.run(submission(article, user=staff, body=body))
    assert status == "pending"
    assert any("Too many links" in reason for reason in reasons)


def test_spam_outranks_a_hold(article, terms):
    body = "https://a.example https://b.example https://c.example viagra"
    status, reasons = moderation.run(submission(article, body=body, honeypot=""))
    assert status == "spam"
    assert any("Blocked term" in reason for reason in reasons)


def test_trusted_reader_skips_the_queue_through_the_view(client, article, settings):
    settings.COMMENTS_AUTO_APPROVE_TRUSTED = True
    reader = UserFactory()
    CommentFactory(article=article, user=reader, status="approved")
    client.force_login(reader)
    post_comment(client, article, body="Trusted words")
    assert Comment.objects.get(body="Trusted words").status == "approved"


# Through the view: rate limit, honeypot, timing -------------------------------------------------


def test_rate_limit_short_interval_returns_429_and_keeps_the_text(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    assert post_comment(client, article, body="First").status_code == 200
    response = post_comment(client, article, body="Second, too soon")
    assert response.status_code == 429
    html = response.content.decode()
    assert "too quickly" in html
    assert "Second, too soon" in html
    assert Comment.objects.count() == 1
    assert post_comment(client, article, ip="192.0.2.44", body="Other reader").status_code == 200


def test_rate_limit_interval_passes(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert (
            post_comment(client, article, body="First", token=aged_token(article)).status_code
            == 200
        )
        second_form = aged_token(article)
    with time_machine.travel(start + datetime.timedelta(seconds=31), tick=False):
        assert post_comment(client, article, body="Second", token=second_form).status_code == 200


def test_hourly_cap_returns_429(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    settings.COMMENTS_RATE_LIMIT_HOURLY = 3
    for number in range(3):
        assert (
            post_comment(client, article, body=f"Comment number {number} " * 3).status_code == 200
        )
    response = post_comment(client, article, body="One too many")
    assert response.status_code == 429
    assert "in the last hour" in response.content.decode()


def test_rate_limit_comes_before_everything_else(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    post_comment(client, article)
    response = post_comment(client, article, email="broken")
    assert response.status_code == 429


def test_honeypot_post_is_silently_spam_with_the_reason(client, article):
    response = post_comment(client, article, website="http://bot.example")
    assert response.status_code == 200
    assert "awaiting moderation" in response.content.decode()
    comment = Comment.objects.get()
    assert comment.status == "spam"
    assert "Honeypot" in comment.moderation_reason


def test_too_fast_post_is_silently_spam_with_the_reason(client, article):
    response = post_comment(client, article, token=aged_token(article, seconds=1))
    assert response.status_code == 200
    comment = Comment.objects.get()
    assert comment.status == "spam"
    assert "Form timing" in comment.moderation_reason


def test_post_without_a_form_token_is_spam(client, article):
    post_comment(client, article, token="")
    assert Comment.objects.get().status == "spam"


def test_blocked_term_through_the_view_records_the_reason(client, article, terms):
    post_comment(client, article, body="Cheap \uff56\uff49\uff41\uff47\uff52\uff41 here")
    comment = Comment.objects.get()
    assert comment.status == "spam"
    assert "Blocked term" in comment.moderation_reason


def test_ban_through_the_view(client, article):
    BlockedCommenter.objects.create(ip_hash=keyed_hash("ip", "203.0.113.7"), action="reject")
    post_comment(client, article)
    assert Comment.objects.get().status == "rejected"


def test_blocked_term_must_have_a_word(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        BlockedTerm(term="!!!", action="hold").full_clean()
    BlockedTerm(term="scam", action="hold").full_clean()


def test_duplicate_is_found_by_email_from_another_address(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    post_comment(client, article, ip="192.0.2.1", email="Ada@Example.org", body="Same words")
    post_comment(client, article, ip="192.0.2.2", email="ada@example.org", body="same words!")
    first, second = Comment.objects.order_by("pk")
    assert first.email == "ada@example.org"
    assert second.status == "rejected"
    assert f"#{first.pk}" in second.moderation_reason


def test_form_errors_do_not_use_up_the_rate_limit(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    settings.COMMENTS_RATE_LIMIT_HOURLY = 1
    assert post_comment(client, article, email="broken").status_code == 400
    assert post_comment(client, article, email="broken").status_code == 400
    assert post_comment(client, article).status_code == 200
    assert post_comment(client, article, body="Again").status_code == 429


def test_addresses_in_one_ipv6_64_are_one_poster(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 30
    assert post_comment(client, article, ip="2001:db8:5:6::1", body="First").status_code == 200
    response = post_comment(client, article, ip="2001:db8:5:6:a:b:c:d", body="Hopped address")
    assert response.status_code == 429
    assert post_comment(client, article, ip="2001:db8:5:7::1", body="Next /64").status_code == 200
    first, second = Comment.objects.order_by("pk")
    assert first.ip_hash != second.ip_hash


def test_a_ban_by_address_covers_the_whole_ipv6_64(client, article, settings):
    settings.COMMENTS_RATE_LIMIT_INTERVAL = 0
    post_comment(client, article, ip="2001:db8:7:7::1", body="Before the ban")
    BlockedCommenter.objects.create(ip_hash=Comment.objects.get().ip_hash, action="reject")
    post_comment(client, article, ip="2001:db8:7:7::beef", body="After the ban")
    assert Comment.objects.get(body="After the ban").status == "rejected"
