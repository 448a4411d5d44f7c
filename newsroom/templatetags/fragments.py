"""`{% fragment %}`: Django's `{% cache %}` tag, kept by the site's own rules.

    {% load fragments %}
    {% fragment "story" article.pk article.version %}
      ... expensive markup ...
    {% endfragment %}

    {% fragment "comments" article.pk until=page.comments_close keys=page.thread_keys %}
      ...
    {% endfragment %}

The first argument names the fragment (an empty name: not cached, for templates
included by pages that cache and pages that don't); the others pick the entry.
`keys=` (a list) names what the block shows in `newsroom.invalidation`'s vocabulary,
besides what the code it runs names itself; the entry ends when one of them changes or
the next scheduled story goes live (`newsroom.caching.cached_fragment`), so the parts
only pick the entry, they need not name every way it could change. `until=` (a
datetime) ends it sooner, for what the clock changes. Values the block reads from the
context should be lazy (page objects with cached properties, querysets): on a hit
nothing inside runs.
Previews are never cached (they show what readers do not see yet), nor pages for
signed-in users: staff checking their work see it as the database has it.
"""

from django import template
from django.utils.safestring import mark_safe

from newsroom.caching import cached_fragment

register = template.Library()


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, parts, until=None, keys=None):
        self.nodelist = nodelist
        self.name = name
        self.parts = parts
        self.until = until
        self.keys = keys

    def render(self, context):
        name = self.name.resolve(context)
        if not name or context.get("preview"):
            return self.nodelist.render(context)
        parts = [part.resolve(context) for part in self.parts]
        request = context.get("request")
        until = self.until.resolve(context) if self.until is not None else None
        keys = self.keys.resolve(context) if self.keys is not None else ()
        html = cached_fragment(
            name,
            parts,
            lambda: str(self.nodelist.render(context)),
            request,
            until or None,
            keys=keys or (),
        )
        return mark_safe(html)


@register.tag("fragment")
def do_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a name.")
    options = {}
    while bits[-1].startswith(("until=", "keys=")):
        name, value = bits.pop().split("=", 1)
        options[name] = parser.compile_filter(value)
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        [parser.compile_filter(bit) for bit in bits[2:]],
        **options,
    )
