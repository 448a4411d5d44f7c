"""Addresses worked out once per process (newsroom/addresses.py) and the database's
prepared statements: what a full render no longer does again on every request."""

import pytest
from django.db import connection
from django.urls import clear_script_prefix, reverse, set_script_prefix

from articles.models import Article, Section
from newsroom import addresses
from tests.newsroom.test_settings import PRODUCTION, run_manage


def test_an_address_is_worked_out_once_and_is_what_reverse_gives():
    addresses._reversed.cache_clear()
    section = Section(name="Harbour", slug="harbour")
    assert section.get_absolute_url() == reverse("articles:section", kwargs={"slug": "harbour"})
    assert section.get_absolute_url() == "/section/harbour/"
    info = addresses._reversed.cache_info()
    assert (info.misses, info.hits) == (1, 1)


def test_a_kept_address_follows_the_script_prefix_of_the_request():
    """A site served under a prefix (SCRIPT_NAME) never gets the root's addresses."""
    section = Section(name="Harbour", slug="harbour")
    assert section.get_absolute_url() == "/section/harbour/"
    set_script_prefix("/news/")
    try:
        assert section.get_absolute_url() == "/news/section/harbour/"
    finally:
        clear_script_prefix()
    assert section.get_absolute_url() == "/section/harbour/"


def test_a_kept_address_follows_the_url_configuration(settings):
    section = Section(name="Harbour", slug="harbour")
    assert section.get_absolute_url() == "/section/harbour/"
    settings.ROOT_URLCONF = "tests.newsroom.prefixed_urls"
    assert section.get_absolute_url() == "/edition/section/harbour/"


@pytest.mark.django_db
def test_an_articles_address_changes_with_its_slug_and_date():
    from tests.factories import ArticleFactory

    story = ArticleFactory(slug="harbour-wall")
    first = story.get_absolute_url()
    assert first.endswith("/harbour-wall/")
    story.slug = "harbour-wall-breached"
    assert story.get_absolute_url() == first.replace("harbour-wall", "harbour-wall-breached")
    assert story.get_absolute_url() == reverse(
        "articles:detail",
        kwargs={
            "year": first.split("/")[1],
            "month": first.split("/")[2],
            "day": first.split("/")[3],
            "slug": "harbour-wall-breached",
        },
    )


def test_postgresql_connections_prepare_their_statements_unless_told_not_to():
    script = (
        "from django.conf import settings; o = settings.DATABASES['default'].get('OPTIONS', {}); "
        "print(o.get('server_side_binding'), o.get('prepare_threshold'), "
        "'custom' if 'plan_cache_mode=force_custom_plan' in o.get('options', '') else 'auto')"
    )
    env = {**PRODUCTION, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/newsroom"}
    prepared = run_manage("shell", "-c", script, env=env)
    assert prepared.stdout.split()[-3:] == ["True", "5", "custom"], prepared.stderr
    plain = run_manage("shell", "-c", script, env={**env, "DATABASE_PREPARED_STATEMENTS": "0"})
    assert plain.stdout.split()[-3:] == ["None", "None", "auto"], plain.stderr
    sqlite = run_manage("shell", "-c", script, env=PRODUCTION)
    assert sqlite.stdout.split()[-3:] == ["None", "None", "auto"], sqlite.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_query_run_again_and_again_is_prepared_and_planned_for_its_values():
    """psycopg prepares a statement on its 5th run: PostgreSQL keeps it parsed, and plans
    each run for its own values (a generic plan made the common-word search 4x slower)."""
    for _ in range(6):
        list(Article.objects.filter(slug="no-such-story").values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("no-such-story" not in sql and '"articles_article"' in sql for sql in prepared)
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"


def test_the_url_tag_keeps_addresses_and_behaves_as_djangos():
    from django.template import Context, Template, TemplateSyntaxError
    from django.urls import NoReverseMatch

    from newsroom.templatetags.kept_urls import KeptURLNode

    template = Template(
        "{% url 'articles:section' slug=slug %}|{% url 'articles:home' %}"
        "|{% url 'comments:form' 7 %}|{% url 'no-such-page' as missing %}[{{ missing }}]"
    )
    assert any(isinstance(node, KeptURLNode) for node in template.nodelist)
    addresses._reversed.cache_clear()
    rendered = template.render(Context({"slug": "harbour"}))
    assert rendered == "/section/harbour/|/|" + reverse("comments:form", args=[7]) + "|[]"
    assert template.render(Context({"slug": "harbour"})) == rendered
    assert addresses._reversed.cache_info().hits == 3
    with pytest.raises(NoReverseMatch):
        Template("{% url 'no-such-page' %}").render(Context())
    with pytest.raises(TemplateSyntaxError):
        Template("{% url %}")


def test_the_static_storage_keeps_each_hashed_address(tmp_path, settings):
    import json

    from newsroom.static_storage import StaticFilesStorage

    settings.DEBUG = False
    (tmp_path / "staticfiles.json").write_text(
        json.dumps({"version": "1.1", "paths": {"css/site.css": "css/site.0123abcd.css"}})
    )
    storage = StaticFilesStorage(location=tmp_path, base_url="/static/")
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"
    storage.hashed_files = {}  # no second look in the manifest
    assert storage.url("css/site.css") == "/static/css/site.0123abcd.css"
    list(storage.post_process({}))  # collectstatic makes new names: worked out again
    storage.hashed_files = {"css/site.css": "css/site.4567ef01.css"}
    assert storage.url("css/site.css") == "/static/css/site.4567ef01.css"
