"""Template helpers for the reader's site."""

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from articles import search, seo

register = template.Library()

# The escapes of django.utils.html.json_script.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def json_ld(data):
    """Structured data in a <script type="application/ld+json"> block, escaped the way
    `json_script` escapes (<, >, & become \\u escapes), so no text an editor or reader
    wrote can close the element. Browsers never run this block, so a strict CSP allows it."""
    # Sorted keys: the same bytes whether the data was just made or read back from
    # PostgreSQL's jsonb (which keeps its own order).
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True).translate(
        JSON_SCRIPT_ESCAPES
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))


@register.simple_tag
def rendition(image, name):
    return seo.rendition_url(image, name)


@register.filter
def srcset(image):
    return seo.srcset(image)


@register.filter
def absolute(url):
    return seo.absolute(url)


@register.filter
def highlight(snippet):
    return search.highlight(snippet)


@register.simple_tag(takes_context=True)
def page_url(context, number):
    """The current address with another page number, keeping only the parameters the
    page reads (the search words on search; `page_params`): anything else (a campaign
    tag, a search term sent to a list) would be kept with the list for every reader."""
    params = QueryDict(mutable=True)
    request = context["request"]
    for name in context.get("page_params", ()):
        if name != "page" and name in request.GET:
            params[name] = request.GET[name]
    if number != 1:
        params["page"] = number
    query = params.urlencode()
    return "?" + query if query else request.path
