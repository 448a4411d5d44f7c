"""Load and concurrency against the real stack: gunicorn + PostgreSQL + Redis on loopback.

Bounded in count and time; each test checks an invariant, not a speed.
"""

import datetime
import itertools
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.servers import AppServer, manage, migrate

from .live import Browser, form_fields

pytestmark = pytest.mark.slow

PASSWORD = "correct-horse-battery-staple"
CLIENTS = 50
POSTS_PER_CLIENT = 20
HOURLY_LIMIT = 15

SEED = """
from tests.factories import ArticleFactory, CommentFactory, UserFactory
article = ArticleFactory(headline="Load test article", comments_enabled=True)
for name in ["mod-a", "mod-b"]:
    UserFactory(username=name, groups=["Moderator"])
for name in ["ed-a", "ed-b"]:
    UserFactory(username=name, groups=["Editor"])
pending = [CommentFactory(article=article, status="pending").pk for _ in range(40)]
print("ARTICLE", article.pk)
print("PENDING", ",".join(map(str, pending)))
"""


@pytest.fixture(scope="module")
def stack(private_postgres, private_redis):
    database = private_postgres.create_database(f"load_{uuid.uuid4().hex[:8]}")
    env = {
        "DATABASE_URL": database,
        "REDIS_URL": private_redis.url(2),
        "TRUSTED_PROXIES": "127.0.0.1",
        "COMMENTS_MIN_FORM_SECONDS": "0",
        "COMMENTS_RATE_LIMIT_INTERVAL": "0",
        "COMMENTS_RATE_LIMIT_HOURLY": str(HOURLY_LIMIT),
        "COMMENTS_CLOSE_AFTER_DAYS": "0",
        "COMMENTS_MAX_LINKS": "5",
        "AXES_FAILURE_LIMIT": "1000",
    }
    migrate(env)
    out = manage("shell", "-c", SEED, env=env)
    article_id = int(re.search(r"ARTICLE (\d+)", out).group(1))
    pending = [int(pk) for pk in re.search(r"PENDING (\S+)", out).group(1).split(",")]
    with AppServer(env, workers=4, threads=2) as app:
        yield {
            "pg": private_postgres,
            "db": database.rsplit("/", 1)[1],
            "app": app,
            "article_id": article_id,
            "pending": pending,
        }


def sql(stack, query):
    return stack["pg"].psql(query, database=stack["db"])


def signed_in(stack, username):
    browser = Browser(stack["app"].url())
    page = browser.get("/admin/login/")
    _, fields = form_fields(page.text, form_id="login-form")
    fields.update({"username": username, "password": PASSWORD, "next": "/admin/"})
    answer = browser.post("/admin/login/", fields)
    assert answer.status == 302, answer.text[:500]
    return browser


def csrf(browser):
    return next(c.value for c in browser.cookies if c.name == "csrftoken")


def test_a_thousand_comment_posts_from_fifty_clients_store_exactly_the_accepted_ones(stack):
    run = uuid.uuid4().hex[:8]
    started_hour = datetime.datetime.now(datetime.UTC).hour

    def client(n):
        reader = Browser(stack["app"].url(), headers={"X-Forwarded-For": f"198.51.100.{n + 1}"})
        accepted, refused = [], []
        for k in range(POSTS_PER_CLIENT):
            # A form serves one post: each comment is written in a freshly fetched form.
            action, fields = form_fields(
                reader.get(f"/comments/form/{stack['article_id']}/").text, action="/comments/post/"
            )
            body = f"load {run} client {n} post {k}: the bridge opened on time"
            answer = reader.post(
                action,
                {**fields, "name": f"Reader {n}", "email": f"r{n}@example.org", "body": body},
            )
            assert answer.status in {200, 429}, (answer.status, answer.text[:300])
            (accepted if answer.status == 200 else refused).append(body)
        return accepted, refused

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(client, range(CLIENTS)))

    accepted = [body for ok, _ in results for body in ok]
    refused = [body for _, no in results for body in no]
    assert len(accepted) + len(refused) == CLIENTS * POSTS_PER_CLIENT
    stored = sql(stack, f"SELECT body FROM comments_comment WHERE body LIKE 'load {run} %'")
    stored = stored.splitlines() if stored else []
    assert sorted(stored) == sorted(accepted)  # every accepted post once, nothing else
    if datetime.datetime.now(datetime.UTC).hour == started_hour:
        assert all(len(ok) <= HOURLY_LIMIT for ok, _ in results)
        assert len(accepted) >= CLIENTS  # the limit refused the excess, not everything


def test_two_moderators_at_once_leave_consistent_states_and_events(stack):
    ids = stack["pending"]
    a, b = signed_in(stack, "mod-a"), signed_in(stack, "mod-b")

    def moderate(browser, action, order):
        answers = []
        for round_ in range(3):
            for start in range(0, len(order), 10):
                batch = order[start : start + 10]
                answers.append(
                    browser.post(
                        "/admin/comments/comment/?status=all",
                        {
                            "csrfmiddlewaretoken": csrf(browser),
                            "action": action if round_ != 1 else "mark_spam",
                            "_selected_action": [str(pk) for pk in batch],
                            "index": "0",
                        },
                    )
                )
        return answers

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(moderate, a, "approve", ids)
        second = pool.submit(moderate, b, "reject", list(reversed(ids)))
        answers = first.result() + second.result()
    assert all(answer.status == 302 for answer in answers), {a.status for a in answers}

    id_list = ",".join(map(str, ids))
    rows = sql(
        stack,
        f"SELECT c.id, c.status, coalesce(u.username, '') FROM comments_comment c "
        "LEFT JOIN auth_user u ON u.id = c.moderated_by_id "
        f"WHERE c.id IN ({id_list}) ORDER BY c.id",
    )
    final = {int(i): (status, who) for i, status, who in (r.split("|") for r in rows.splitlines())}
    events = sql(
        stack,
        f"SELECT e.comment_id, e.from_status, e.to_status, coalesce(u.username, '') "
        f"FROM comments_moderationevent e LEFT JOIN auth_user u ON u.id = e.actor_id "
        f"WHERE e.comment_id IN ({id_list}) ORDER BY e.comment_id, e.id",
    )
    chains = {}
    for line in events.splitlines():
        comment_id, from_status, to_status, actor = line.split("|")
        chains.setdefault(int(comment_id), []).append((from_status, to_status, actor))

    for pk in ids:
        status, who = final[pk]
        chain = [event for event in chains.get(pk, []) if event[0] != event[1]]
        assert chain, f"comment {pk} changed without an event"
        assert chain[0][0] == "pending", (pk, chain)
        for earlier, later in itertools.pairwise(chain):
            assert later[0] == earlier[1], (pk, chain)  # no lost or forked transition
        assert chain[-1][1] == status, (pk, chain, status)
        assert chain[-1][2] == who, (pk, chain, who)
        assert who in {"mod-a", "mod-b"}


def test_an_editor_saving_while_another_restores_loses_no_revision(stack):
    article_id = int(
        sql(stack, "SELECT id FROM articles_article WHERE headline = 'Load test article'")
    )
    change = f"/admin/articles/article/{article_id}/change/"
    writer, restorer = signed_in(stack, "ed-a"), signed_in(stack, "ed-b")
    # A first save gives the restorer a revision to go back to.
    _, fields = form_fields(writer.get(change).text, form_id="article_form")
    assert (
        writer.post(change, {**fields, "body": "<p>Original text.</p>", "_continue": "1"}).status
        == 302
    )
    first_revision = int(
        sql(stack, f"SELECT min(id) FROM articles_revision WHERE article_id = {article_id}")
    )
    before = int(
        sql(stack, f"SELECT count(*) FROM articles_revision WHERE article_id = {article_id}")
    )
    saves = 12

    def write():
        outcomes = []
        for k in range(saves):
            _, fields = form_fields(writer.get(change).text, form_id="article_form")
            text = f"Writer draft {k} {uuid.uuid4().hex[:6]}"
            answer = writer.post(change, {**fields, "body": f"<p>{text}</p>", "_continue": "1"})
            outcomes.append((text, answer))
        return outcomes

    def restore():
        answers = []
        url = f"/admin/articles/article/{article_id}/revisions/{first_revision}/restore/"
        for _ in range(saves):
            restorer.get(change)
            answers.append(restorer.post(url, {"csrfmiddlewaretoken": csrf(restorer)}))
            time.sleep(0)
        return answers

    with ThreadPoolExecutor(max_workers=2) as pool:
        writes, restores = pool.submit(write), pool.submit(restore)
        writes, restores = writes.result(), restores.result()

    assert all(answer.status == 302 for answer in restores), {a.status for a in restores}
    saved = [text for text, answer in writes if answer.status == 302]
    for text, answer in writes:
        if answer.status != 302:
            assert answer.status < 500, answer.text[:300]
            assert text in answer.text  # a refused save shows the editor's words again
    bodies = sql(
        stack, f"SELECT data->>'body' FROM articles_revision WHERE article_id = {article_id}"
    )
    for text in saved:
        assert text in bodies, f"saved text lost from the history: {text}"
    after = int(
        sql(stack, f"SELECT count(*) FROM articles_revision WHERE article_id = {article_id}")
    )
    assert after == before + len(saved) + len(restores)
    # The article is exactly its newest revision.
    body = sql(stack, f"SELECT body FROM articles_article WHERE id = {article_id}")
    newest = sql(
        stack,
        f"SELECT data->>'body' FROM articles_revision WHERE article_id = {article_id} "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    assert body == newest


def test_a_burst_from_one_address_cannot_exceed_the_hourly_limit(stack):
    """Posts at the same instant from one address: at most the limit is accepted."""
    run = uuid.uuid4().hex[:8]
    address = f"203.0.113.{uuid.uuid4().int % 250 + 1}"
    reader = Browser(stack["app"].url(), headers={"X-Forwarded-For": address})

    def form():
        # A form serves one post: each post is written in a form of its own.
        return form_fields(
            reader.get(f"/comments/form/{stack['article_id']}/").text, action="/comments/post/"
        )

    def post(k, form):
        action, fields = form
        body = f"burst {run} post {k}: same address, same moment"
        data = {**fields, "name": "Burst", "email": "burst@example.org", "body": body}
        return reader.post(action, data).status

    # One place left under the limit, then forty posts at once.
    first = [post(k, form()) for k in range(HOURLY_LIMIT - 1)]
    assert first == [200] * (HOURLY_LIMIT - 1)
    forms = [form() for _ in range(40)]
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = first + list(pool.map(post, range(100, 140), forms))
    stored = int(
        sql(stack, f"SELECT count(*) FROM comments_comment WHERE body LIKE 'burst {run} %'")
    )
    assert stored == statuses.count(200)
    assert stored <= HOURLY_LIMIT, (
        f"{stored} accepted from one address; the limit is {HOURLY_LIMIT}"
    )
