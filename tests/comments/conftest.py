import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from comments.forms import form_token
from tests.factories import ArticleFactory


@pytest.fixture
def article(db):
    return ArticleFactory(headline="Harbour bridge reopens")


def aged_token(article, seconds=60):
    """A genuine form token, as if the form had been shown `seconds` ago."""
    with time_machine.travel(timezone.now() - datetime.timedelta(seconds=seconds), tick=False):
        return form_token(article.pk)


def comment_data(article, /, **overrides):
    data = {
        "name": "Ada Reader",
        "email": "ada@example.org",
        "body": "A thoughtful comment about the bridge.",
        "token": aged_token(article),
        "website": "",
    }
    data.update(overrides)
    return data


def post_comment(client, article, /, ip="203.0.113.7", fetch=False, **overrides):
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    return client.post(
        reverse("comments:post", args=[article.pk]),
        comment_data(article, **overrides),
        REMOTE_ADDR=ip,
        headers=headers,
    )
