"""What readers get from a stored body: figures, galleries and embeds rendered once,
when the article is saved (derived data; `Article.render_body()`).

The stored body keeps the editor's forms (articles/richtext.py). Rendering replaces
each story figure by its markup from `templates/articles/body/`: an image from its
renditions (`srcset`, `width`/`height`, lazy below the first screen, caption and
credit), a gallery that works without JavaScript, and an embed as a facade that loads
nothing from the provider until the reader asks (static/js/story.js). Everything else
passes through as sanitised. The pictures and embeds come from two queries however
many the body holds.

`body_media` keeps what the page needs without reading the body: the addresses of
its pictures (structured data) and the origins its frames load from (the page's
Content-Security-Policy, `frame-src`).
"""

from dataclasses import dataclass, field

from django.template.loader import render_to_string

from .richtext import figure_caption, figure_kind, parse, serialize, word_count

#: An image above this many words of text may be on the reader's first screen.
FIRST_SCREEN_WORDS = 60
#: How many of the body's pictures structured data lists.
MEDIA_IMAGES = 12
IMAGE_FIELDS = (
    "id",
    "file",
    "alt_text",
    "caption",
    "credit",
    "width",
    "height",
    "renditions",
    "focal_x",
    "focal_y",
)
SIZES = {
    "inline": "(min-width: 42rem) 40rem, 100vw",
    "wide": "(min-width: 60rem) 58rem, 100vw",
    "full": "100vw",
}
GALLERY_SIZES = "(min-width: 60rem) 14rem, 45vw"


@dataclass
class RenderedBody:
    html: str
    media: dict = field(default_factory=dict)
    image_ids: list = field(default_factory=list)
    embed_ids: list = field(default_factory=list)

    def record(self, article):
        """Keep which images and embeds the saved article's body uses."""
        from .models import BodyImage

        if article._state.adding and not (self.image_ids or self.embed_ids):
            return
        BodyImage.objects.filter(article=article).exclude(image_id__in=self.image_ids).delete()
        if self.image_ids:
            BodyImage.objects.bulk_create(
                [BodyImage(article=article, image_id=pk) for pk in self.image_ids],
                ignore_conflicts=True,
            )
        article.body_embeds.set(self.embed_ids)


def _ids(value):
    return [int(pk) for pk in value.split(",") if pk.isdecimal()]


def render_body(body, *, has_lead_image=False):
    """The body as readers get it, with what it uses."""
    from . import embeds
    from .models import Image

    if "<figure" not in (body or ""):
        return RenderedBody(body or "")
    nodes = parse(body)
    figures = [(node, figure_kind(node)) for node in nodes if figure_kind(node)]
    wanted = []
    for node, kind in figures:
        if kind in ("data-image", "data-gallery"):
            wanted += _ids(node.attrs[kind])
    library = Image.objects.only(*IMAGE_FIELDS).in_bulk(set(wanted)) if wanted else {}
    stored = embeds.resolve_for_save(
        [node.attrs[kind] for node, kind in figures if kind == "data-embed"]
    )
    out, used_images, frames, pictures = [], [], set(), []
    galleries = 0
    words = 0
    first_figure = True
    for node in nodes:
        kind = figure_kind(node)
        if kind is None:
            markup = serialize([node])
            words += word_count(markup)
            out.append(markup)
            continue
        caption = figure_caption(node)
        eager = first_figure and not has_lead_image and words < FIRST_SCREEN_WORDS
        first_figure = False
        if kind == "data-image":
            image = library.get(_ids(node.attrs[kind])[0])
            if image is None:
                continue  # not in the library (deleted before this save, or made up)
            used_images.append(image.pk)
            pictures.append(image)
            width = node.attrs.get("data-width", "inline")
            out.append(
                render_to_string(
                    "articles/body/image.html",
                    {
                        "image": image,
                        "alt": node.attrs.get("data-alt") or image.alt_text,
                        "caption": caption or image.caption,
                        "credit": node.attrs.get("data-credit") or image.credit,
                        "width": width,
                        "sizes": SIZES.get(width, SIZES["inline"]),
                        "eager": eager,
                    },
                )
            )
        elif kind == "data-gallery":
            shown = [library[pk] for pk in _ids(node.attrs[kind]) if pk in library]
            if not shown:
                continue
            used_images += [image.pk for image in shown]
            pictures += shown
            galleries += 1
            out.append(
                render_to_string(
                    "articles/body/gallery.html",
                    {"images": shown, "caption": caption, "sizes": GALLERY_SIZES, "eager": eager},
                )
            )
        else:
            url = node.attrs[kind]
            embed = stored.get(url)
            if embed is not None and embed.is_resolved:
                frames.add(embeds.frame_origin(embed.frame_url))
            out.append(
                render_to_string(
                    "articles/body/embed.html", {"url": url, "embed": embed, "caption": caption}
                )
            )
    media = {}
    if pictures:
        media["images"] = list(dict.fromkeys(image.rendition_url("w1280") for image in pictures))[
            :MEDIA_IMAGES
        ]
    if frames:
        media["frames"] = sorted(frames)
    if galleries:
        media["galleries"] = galleries
    return RenderedBody(
        html="".join(out),
        media=media,
        image_ids=list(dict.fromkeys(used_images)),
        embed_ids=[embed.pk for embed in stored.values()],
    )


def rerender(articles):
    """Render the bodies of `articles` again (a picture or an embed they show changed),
    without touching anything an editor wrote, its version or its time."""
    from django.db.models import F

    from .models import Article

    for article in articles.only("id", "body", "lead_image_id"):
        rendered = article.render_body()
        # The structured data lists the body's pictures: the next reader makes it again.
        Article.objects.filter(pk=article.pk).update(
            body_html=rendered.html,
            body_media=rendered.media,
            structured_data=None,
            page_html=None,
            page_html_generation=F("page_html_generation") + 1,
        )
        rendered.record(article)


def rerender_updates(updates):
    """Render the bodies of live `updates` again (a picture or an embed they show
    changed, or they were restored), without touching what an editor wrote, its version
    or its time. Their articles' structured data quotes them: it is made again."""
    from .derived import forget_descriptions
    from .models import Article, LiveUpdate

    articles = set()
    for update in updates.only("id", "article_id", "body"):
        rendered = render_body(update.body)
        LiveUpdate.objects.filter(pk=update.pk).update(
            body_html=rendered.html, body_media=rendered.media
        )
        articles.add(update.article_id)
    if articles:
        forget_descriptions(Article.objects.filter(pk__in=articles))


def rerender_showing(embed):
    """Render again every body that shows `embed` (what its provider says changed):
    the articles' and the live updates'."""
    from .models import LiveUpdate

    rerender(embed.articles.all())
    rerender_updates(LiveUpdate.objects.showing_embed(embed.url))
