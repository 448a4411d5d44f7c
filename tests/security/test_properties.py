"""Properties that hold for every input hypothesis can find.

The comment renderer and the rich-text sanitiser never emit markup a browser would
execute; search never errors on a query; the importers fail only with their clear
CommandError on random or mutated files.
"""

import contextlib
import html
import re
from pathlib import Path

import html5lib
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from articles.richtext import MAX_NESTING, BodyTooDeep, sanitize_body
from comments.rendering import render_comment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

EXECUTABLE_ELEMENTS = {
    "script", "iframe", "object", "embed", "style", "frame", "frameset", "applet",
    "base", "link", "meta", "form", "svg", "math", "template", "noscript", "xmp",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data"}
BAD_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")


def _scheme_of(url):
    # Browsers drop ASCII whitespace and control characters before reading a scheme.
    cleaned = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(url)).lower()
    return cleaned


def assert_inert(output):
    """Parse like a browser (html5lib, WHATWG) and look for anything that can run."""
    fragment = html5lib.parseFragment(output, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        tag = element.tag if isinstance(element.tag, str) else ""
        name = tag.rsplit("}", 1)[-1].lower()
        assert name not in EXECUTABLE_ELEMENTS, (name, output)
        for attribute, value in element.attrib.items():
            attribute = attribute.rsplit("}", 1)[-1].lower()
            assert not attribute.startswith("on"), (attribute, output)
            assert attribute != "style", output
            if attribute in URL_ATTRIBUTES:
                assert not _scheme_of(value).startswith(BAD_SCHEMES), (value, output)


# Markup an attacker would try, mixed into random text.
ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<img src=x onerror=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href=" &#14; javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<form action="https://evil.example"><input name=q></form>',
    '<base href="https://evil.example/">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    "<xmp><script>alert(1)</script></xmp>",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    '<a href="https://ok.example" target="_blank">ok</a>',
    "<div>" * 300 + "deep" + "</div>" * 300,
    "<p><b><i><u>unclosed",
    "</p></div></body></html>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    'http://x.example/"onmouseover="alert(1)',
    "https://x.example/<script>alert(1)</script>",
    "https://x.example/'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "\x00<script>alert(1)</script>",
]

markup = st.lists(
    st.one_of(
        st.sampled_from(ATTACKS),
        st.text(max_size=40),
        st.text(alphabet="<>/\"'=&;: \n\tabcdefhijlnoprstvx0123456789#", max_size=60),
        st.sampled_from(["<p>", "</p>", "<a href=", "<h2>", "<ul><li>", "<br>", "<blockquote>"]),
    ),
    max_size=12,
).map("".join)


def sanitized_or_refused(body):
    """The sanitised body, or "" for one refused as nested too deep, which only a body
    with more tags than the limit can be."""
    try:
        return sanitize_body(body)
    except BodyTooDeep:
        assert body.count("<") > MAX_NESTING, body
        return ""


@given(markup)
@example("<a href='https://ok.example'>fine</a>")
@settings(max_examples=400, deadline=None)
def test_the_rich_text_sanitiser_never_emits_executable_markup(body):
    assert_inert(sanitized_or_refused(body))


@given(markup)
# Found by this test: a heading inside a stripped element, inside a heading.
@example("<H2><A<script>alert(1)</script><H2>")
@settings(max_examples=150, deadline=None)
def test_sanitising_twice_changes_nothing_more(body):
    once = sanitized_or_refused(body)
    assert sanitize_body(once) == once


@given(markup)
@example('see https://example.org/a?b=1&c=<2> and http://x.example/"onmouseover=alert(1)')
@settings(max_examples=400, deadline=None)
def test_the_comment_renderer_never_emits_executable_markup(body):
    output = render_comment(body)
    assert_inert(output)
    fragment = html5lib.parseFragment(output, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        assert element.tag in {"p", "br", "a", "DOCUMENT_FRAGMENT"} or not isinstance(
            element.tag, str
        ), element.tag
        if element.tag == "a":
            assert element.attrib["href"].lower().startswith(("http://", "https://"))
            assert "nofollow" in element.attrib["rel"] and "ugc" in element.attrib["rel"]


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_the_comment_renderer_keeps_every_word_the_reader_typed(body):
    assume(all(ch >= " " or ch in "\n\t" for ch in body))
    output = render_comment(body)
    text = "".join(
        html5lib.parseFragment(output, treebuilder="etree", namespaceHTMLElements=False).itertext()
    )
    squash = re.compile(r"\s+")
    assert squash.sub("", text) == squash.sub("", body)


# -- Search ------------------------------------------------------------------------

queries = st.one_of(
    st.text(max_size=120),
    st.text(alphabet="\"'-()&|!:*<>\\ orAND", max_size=60),
    st.sampled_from(
        ['"', '""', "-", "--", "or", "OR OR", "!", "&", "|", ":*", "\\", "'", "(", ")"]
    ),
)


@pytest.mark.django_db
@given(queries)
@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_search_never_errors_on_any_query(query):
    from articles.search import search

    assume("\x00" not in query)  # refused with a 400 before search (test_hostile_input)
    results = list(search(query)[:5])
    assert isinstance(results, list)


@pytest.mark.django_db
@given(queries)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_search_page_answers_any_query(query):
    response = Client().get("/search/", {"q": query})
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in query):
        assert response.status_code == 400
    else:
        assert response.status_code == 200


# -- Importers ---------------------------------------------------------------------

SEEDS = {
    "import_wordpress": sorted((FIXTURES / "wordpress").glob("*.xml")),
    "import_articles": sorted((FIXTURES / "articles").glob("*")),
}


def mutations(seed_bytes):
    return st.one_of(
        st.binary(max_size=2000),
        st.tuples(
            st.integers(0, max(0, len(seed_bytes) - 1)),
            st.integers(0, 400),
            st.binary(max_size=40),
        ).map(lambda t: seed_bytes[: t[0]] + t[2] + seed_bytes[t[0] + t[1] :]),
        st.integers(0, len(seed_bytes)).map(lambda n: seed_bytes[:n]),
    )


def _fuzz_command(command, seed_file, tmp_path_factory):
    seed_bytes = seed_file.read_bytes()

    @given(mutations(seed_bytes))
    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def run(data):
        path = tmp_path_factory.mktemp("fuzz") / seed_file.name
        path.write_bytes(data)
        with contextlib.suppress(CommandError):
            call_command(command, str(path), stdout=_Null(), stderr=_Null())

    run()


class _Null:
    def write(self, *args):
        pass

    def flush(self):
        pass


@pytest.mark.django_db
@pytest.mark.parametrize("seed_file", SEEDS["import_wordpress"], ids=lambda p: p.name)
def test_the_wordpress_importer_fails_only_with_its_clear_error(seed_file, tmp_path_factory):
    _fuzz_command("import_wordpress", seed_file, tmp_path_factory)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "seed_file",
    [p for p in SEEDS["import_articles"] if p.suffix in {".txt", ".md"}][:3],
    ids=lambda p: p.name,
)
def test_the_article_importer_fails_only_with_its_clear_error(seed_file, tmp_path_factory):
    _fuzz_command("import_articles", seed_file, tmp_path_factory)


@pytest.mark.django_db
def test_the_content_importer_fails_only_with_its_clear_error(tmp_path_factory):
    seed = (
        b'{"kind": "section", "name": "News", "slug": "news"}\n'
        b'{"kind": "article", "headline": "A", "slug": "a", "status": "draft"}\n'
    )

    @given(mutations(seed))
    @settings(
        max_examples=80,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    def run(data):
        path = tmp_path_factory.mktemp("fuzz") / "content.jsonl"
        path.write_bytes(data)
        with contextlib.suppress(CommandError):
            call_command("import_content", str(path), stdout=_Null(), stderr=_Null())

    run()
