"""Presence: who else has a story open, kept in the shared cache and never the database."""

import json
import re

import pytest
import time_machine
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import presence
from tests.articles.desk import change_url
from tests.factories import ArticleFactory, UserFactory
from tests.servers import RedisServer, command_calls, free_port, use_redis

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]

CHANGELIST = reverse("admin:articles_article_changelist")
TAB_A, TAB_B, TAB_C, TAB_D = "tab-aaaaaaaa", "tab-bbbbbbbb", "tab-cccccccc", "tab-dddddddd"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", first_name="Ana", last_name="Ruiz", groups=["Editor"])


@pytest.fixture
def ben(db):
    return UserFactory(username="ben", groups=["Editor"])


def presence_url(article_id):
    return reverse("admin:articles_article_presence", args=[article_id])


def heartbeat(client, article_id, tab=TAB_A, **fields):
    return client.post(presence_url(article_id), {"tab": tab, **fields})


# -- The store ----------------------------------------------------------------


def test_a_heartbeat_tells_the_others_and_not_oneself(ana, ben):
    assert presence.beat(7, ana, TAB_A, now=1000) == []
    others = presence.beat(7, ben, TAB_B, now=1001)
    assert [(p.name, p.dirty, p.since) for p in others] == [("Ana Ruiz", False, 1000)]
    assert [p.name for p in presence.on_story(7, exclude_user_id=ana.pk, now=1002)] == ["ben"]
    assert presence.on_story(8, now=1002) == []


def test_the_dirty_flag_follows_the_latest_heartbeat_and_since_stays(ana, ben):
    presence.beat(7, ana, TAB_A, now=1000)
    presence.beat(7, ana, TAB_A, dirty=True, now=1010)
    (person,) = presence.on_story(7, exclude_user_id=ben.pk, now=1011)
    assert person.dirty and person.since == 1000
    presence.beat(7, ana, TAB_A, dirty=False, now=1020)
    assert not presence.on_story(7, now=1021)[0].dirty


def test_an_entry_expires_without_heartbeats(ana):
    presence.beat(7, ana, TAB_A, now=1000)
    assert presence.on_story(7, now=1000 + presence.TTL - 1)
    assert presence.on_story(7, now=1000 + presence.TTL + 1) == []


def test_a_background_tab_is_kept_longer_than_a_visible_one(ana):
    presence.beat(7, ana, TAB_A, hidden=True, now=1000)
    assert presence.on_story(7, now=1000 + presence.TTL + 30)
    assert presence.on_story(7, now=1000 + presence.HIDDEN_TTL + 1) == []


def test_the_cache_entry_itself_expires(ana, settings):
    # The local-memory cache checks expiry against time.time(), which time_machine moves
    # (Redis keeps its own clock: the Redis test below reads the key's TTL instead).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "presence-expiry",
        }
    }
    with time_machine.travel(1_700_000_000, tick=False) as clock:
        presence.beat(7, ana, TAB_A)
        assert cache.get(presence.cache_key(7))
        clock.shift(presence.TTL + 2)
        assert cache.get(presence.cache_key(7)) is None


def test_two_tabs_of_one_person_are_one_person_until_both_leave(ana, ben):
    presence.beat(7, ana, TAB_A, now=1000)
    presence.beat(7, ana, TAB_C, dirty=True, now=1005)
    (person,) = presence.on_story(7, exclude_user_id=ben.pk, now=1006)
    assert person.dirty and person.since == 1000
    presence.leave(7, ana, TAB_C, now=1007)
    (person,) = presence.on_story(7, now=1008)
    assert not person.dirty
    presence.leave(7, ana, TAB_A, now=1009)
    assert presence.on_story(7, now=1010) == []
    # What is kept is only that the two tabs left, until they would have expired.
    kept = cache.get(presence.cache_key(7))
    assert {entry.get("left") for entry in kept.values()} == {True}
    assert max(entry["until"] for entry in kept.values()) == 1009 + presence.TTL


def test_a_heartbeat_answered_after_its_tab_left_does_not_bring_it_back(ana, ben):
    """The page sends a heartbeat, then closes and says so: when the heartbeat is the
    one the server handles last, the tab must not come back on the story."""
    presence.beat(7, ana, TAB_A, now=1000)
    presence.beat(7, ben, TAB_B, now=1001)
    presence.leave(7, ana, TAB_A, now=1010)
    assert [p.name for p in presence.beat(7, ana, TAB_A, dirty=True, now=1010.2)] == ["ben"]
    assert [p.name for p in presence.on_story(7, exclude_user_id=ben.pk, now=1011)] == []
    # Also when the leaving is heard before the tab's first heartbeat.
    presence.leave(7, ana, TAB_D, now=1010.5)
    presence.beat(7, ana, TAB_D, now=1010.6)
    assert [p.name for p in presence.on_story(7, exclude_user_id=ben.pk, now=1011)] == []
    # Ana's other tab, or the same story opened again (a new tab id), counts at once.
    presence.beat(7, ana, TAB_C, now=1012)
    assert [p.name for p in presence.on_story(7, exclude_user_id=ben.pk, now=1013)] == ["Ana Ruiz"]
    # The "left" mark expires as the tab itself would have.
    kept = cache.get(presence.cache_key(7))
    assert f"{ana.pk}:{TAB_A}" not in presence._fresh(kept, 1010 + presence.TTL + 1)


def test_leaving_another_persons_tab_changes_nothing(ana, ben):
    presence.beat(7, ana, TAB_A, now=1000)
    presence.leave(7, ben, TAB_A, now=1001)
    assert [p.name for p in presence.on_story(7, now=1002)] == ["Ana Ruiz"]


def test_a_reader_is_not_counted_as_editing(ana, ben):
    presence.beat(7, ana, TAB_A, mode="read", now=1000)
    presence.beat(8, ben, TAB_B, mode="edit", now=1000)
    assert not presence.on_story(7, now=1001)[0].editing
    assert list(presence.editing([7, 8, 9], now=1001)) == [8]


def test_one_story_keeps_a_bounded_number_of_tabs(ana):
    for n in range(presence.MAX_TABS + 10):
        presence.beat(7, ana, f"tab-{n:08d}", now=1000 + n / 10)
    tabs = cache.get(presence.cache_key(7))
    assert len(tabs) == presence.MAX_TABS
    assert f"{ana.pk}:tab-00000000" not in tabs  # the oldest went first


def test_the_interval_stays_within_fifteen_seconds(settings):
    assert presence.interval() == 10
    settings.PRESENCE_INTERVAL = 60
    assert presence.interval() == 15


# -- The heartbeat view ---------------------------------------------------------


def test_heartbeat_answers_the_others_on_the_story_as_json(client, ana, ben):
    article = ArticleFactory(draft=True)
    client.force_login(ana)
    assert heartbeat(client, article.pk, dirty="1").status_code == 200

    other = Client()
    other.force_login(ben)
    response = heartbeat(other, article.pk, tab=TAB_B)
    assert response.status_code == 200
    data = response.json()
    assert data["interval"] == 10
    assert [(o["name"], o["dirty"], o["mode"]) for o in data["others"]] == [
        ("Ana Ruiz", True, "edit")
    ]
    assert data["others"][0]["since"].endswith("+00:00")
    assert "Ana Ruiz</strong> is editing this story" in data["html"]
    assert "(unsaved changes)" in data["html"]

    # Ana hears of Ben, who has nothing unsaved.
    data = heartbeat(client, article.pk).json()
    assert [(o["name"], o["dirty"]) for o in data["others"]] == [("ben", False)]
    assert "(unsaved changes)" not in data["html"]


def test_a_leaving_beacon_takes_the_tab_off_at_once(client, ana, ben):
    article = ArticleFactory(draft=True)
    client.force_login(ana)
    heartbeat(client, article.pk)
    assert heartbeat(client, article.pk, leaving="1").status_code == 204

    other = Client()
    other.force_login(ben)
    assert heartbeat(other, article.pk, tab=TAB_B).json()["others"] == []


def test_someone_gone_quiet_drops_out_after_the_ttl(client, ana, ben):
    article = ArticleFactory(draft=True)
    other = Client()
    other.force_login(ben)
    client.force_login(ana)
    with time_machine.travel(1_700_000_000, tick=False) as clock:
        heartbeat(client, article.pk)
        clock.shift(presence.TTL - 5)
        assert heartbeat(other, article.pk, tab=TAB_B).json()["others"]
        clock.shift(10)
        assert heartbeat(other, article.pk, tab=TAB_B).json()["others"] == []


def test_a_reporter_who_may_view_articles_may_beat(client, reporter):
    article = ArticleFactory()
    client.force_login(reporter)
    assert heartbeat(client, article.pk, mode="read").status_code == 200


def test_who_may_not_view_articles_gets_403(client, moderator):
    article = ArticleFactory(draft=True)
    client.force_login(moderator)
    response = heartbeat(client, article.pk)
    assert response.status_code == 403
    assert cache.get(presence.cache_key(article.pk)) is None


def test_anonymous_and_non_staff_are_sent_to_the_login(client):
    article = ArticleFactory(draft=True)
    response = heartbeat(client, article.pk)
    assert response.status_code == 302 and "/login/" in response["Location"]
    client.force_login(UserFactory(username="reader"))
    response = heartbeat(client, article.pk)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert cache.get(presence.cache_key(article.pk)) is None


def test_heartbeat_is_a_post_with_csrf(ana):
    article = ArticleFactory(draft=True)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ana)
    assert strict.get(presence_url(article.pk)).status_code == 405
    assert heartbeat(strict, article.pk).status_code == 403
    assert cache.get(presence.cache_key(article.pk)) is None


@pytest.mark.parametrize("tab", ["", "short", "x" * 65, "bad tab id!"])
def test_a_heartbeat_without_a_proper_tab_id_is_a_400(client, ana, tab):
    article = ArticleFactory(draft=True)
    client.force_login(ana)
    response = heartbeat(client, article.pk, tab=tab)
    assert response.status_code == 400
    assert "tab" in response.json()["error"]


def test_an_oversized_heartbeat_is_refused_unread(client, ana):
    article = ArticleFactory(draft=True)
    client.force_login(ana)
    assert heartbeat(client, article.pk, junk="x" * 5000).status_code == 413


@pytest.mark.parametrize("role", ["editor", "reporter"])
def test_heartbeat_reads_and_writes_no_table(client, role, request):
    user = request.getfixturevalue(role)
    article = ArticleFactory(draft=True)
    client.force_login(user)
    heartbeat(client, article.pk)  # the session is warm, as in a tab open for a while
    with CaptureQueriesContext(connection) as queries:
        assert heartbeat(client, article.pk, dirty="1").status_code == 200
    sql = [query["sql"] for query in queries.captured_queries]
    # Only the session, the user and their permissions: the same on every admin request.
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in sql), sql
    tables = {table for query in sql for table in re.findall(r'(?:FROM|JOIN) "(\w+)"', query)}
    assert "django_session" in tables
    auth = {"django_session", "django_content_type"}  # permissions name their model
    assert {table for table in tables if not table.startswith("auth_")} <= auth, sql
    assert len(sql) <= 4, sql


def test_names_are_escaped(client, ana):
    article = ArticleFactory(draft=True)
    mallory = UserFactory(username="mallory", first_name="<img src=x onerror=alert(1)>")
    mallory.groups.add(*ana.groups.all())
    mallory.is_staff = True
    mallory.save()
    other = Client()
    other.force_login(mallory)
    heartbeat(other, article.pk, tab=TAB_B)
    client.force_login(ana)
    data = heartbeat(client, article.pk).json()
    assert "<img" not in data["html"] and "&lt;img" in data["html"]
    html = client.get(CHANGELIST).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; is editing" in html


# -- The change form and the change list ------------------------------------------


def test_change_form_shows_who_is_there_and_loads_the_heartbeat(client, ana, ben):
    article = ArticleFactory(draft=True)
    presence.beat(article.pk, ana, TAB_A, dirty=True)
    client.force_login(ben)
    html = client.get(change_url(article)).content.decode()
    assert f'data-presence-url="{presence_url(article.pk)}"' in html
    assert 'data-presence-interval="10"' in html
    assert 'data-presence-mode="edit"' in html
    assert 'aria-live="polite"' in html
    assert "Ana Ruiz</strong> is editing this story" in html
    assert "(unsaved changes)" in html
    assert "/static/js/admin-presence.js" in html


def test_change_form_does_not_show_oneself(client, ana):
    article = ArticleFactory(draft=True)
    presence.beat(article.pk, ana, TAB_A)
    client.force_login(ana)
    html = client.get(change_url(article)).content.decode()
    assert "is editing this story" not in html


def test_a_read_only_form_beats_as_a_reader(client, reporter):
    article = ArticleFactory()  # live: the reporter may read it, not change it
    client.force_login(reporter)
    html = client.get(change_url(article)).content.decode()
    assert 'data-presence-mode="read"' in html


def test_change_list_marks_the_stories_being_edited_in_one_cache_read(client, ana, ben):
    edited = ArticleFactory(draft=True, headline="Harbour wall")
    ArticleFactory.create_batch(3, draft=True)
    read_only = ArticleFactory(draft=True, headline="Only read")
    presence.beat(edited.pk, ana, TAB_A, dirty=True)
    presence.beat(read_only.pk, ana, TAB_B, mode="read")
    presence.beat(edited.pk, ben, TAB_C)  # the viewer's own tab is not news to them

    backend = caches["default"]
    reads, depth = [], [0]
    for name in ("get", "get_many", "has_key"):
        original = getattr(backend, name)

        def spy(keys, *args, _original=original, _name=name, **kwargs):
            # Only the calls made to the cache: locmem's get_many calls get per key,
            # where Redis sends one MGET.
            if not depth[0]:
                reads.append((_name, keys))
            depth[0] += 1
            try:
                return _original(keys, *args, **kwargs)
            finally:
                depth[0] -= 1

        setattr(backend, name, spy)
    try:
        client.force_login(ben)
        reads.clear()
        html = client.get(CHANGELIST).content.decode()
    finally:
        for name in ("get", "get_many", "has_key"):
            delattr(backend, name)
    presence_reads = [read for read in reads if "presence:" in json.dumps(read)]
    assert [name for name, _keys in presence_reads] == ["get_many"], presence_reads
    assert html.count('class="desk-presence-marker"') == 1
    assert "Ana Ruiz is editing (unsaved changes)" in html
    assert "ben is editing" not in html


# -- On Redis, as in production ----------------------------------------------------------


@pytest.mark.slow
def test_on_redis_a_page_of_stories_is_one_mget_and_entries_carry_a_ttl(settings, ana, ben):
    import redis as redis_py

    server = RedisServer().start()
    try:
        use_redis(settings, server.url(0))
        presence.beat(3, ana, TAB_A, dirty=True)
        presence.beat(3, ben, TAB_B)
        assert [(p.name, p.dirty) for p in presence.on_story(3, exclude_user_id=ben.pk)] == [
            ("Ana Ruiz", True)
        ]
        direct = redis_py.Redis(port=server.port)
        (key,) = direct.keys("*presence:article:3")
        assert 0 < direct.ttl(key) <= presence.TTL + 1

        def calls(command):
            return command_calls(direct).get(f"cmdstat_{command}", 0)

        before = {command: calls(command) for command in ("mget", "get")}
        found = presence.editing(range(1, 51), exclude_user_id=ben.pk)
        assert [p.name for p in found[3]] == ["Ana Ruiz"] and list(found) == [3]
        assert calls("mget") == before["mget"] + 1
        assert calls("get") == before["get"]

        presence.leave(3, ana, TAB_A)
        presence.leave(3, ben, TAB_B)
        assert presence.on_story(3) == []
        # Kept only as "left" marks, and only as long as a tab would have been.
        (key,) = direct.keys("*presence:article:3")
        assert 0 < direct.ttl(key) <= presence.TTL + 1
    finally:
        server.stop()


def test_with_the_cache_unreachable_the_heartbeat_still_answers(client, settings, ana):
    use_redis(settings, f"redis://127.0.0.1:{free_port()}/0")
    article = ArticleFactory(draft=True)
    client.force_login(ana)
    response = heartbeat(client, article.pk, dirty="1")
    assert response.status_code == 200
    assert response.json()["others"] == []
    assert client.get(CHANGELIST).status_code == 200
