"""WordPress post content to body HTML: shortcodes, automatic paragraphs, pictures,
embeds, sanitising.

`convert_content()` is the one entry point the importer calls for a post's body.
WordPress's shortcodes go through one table, `SHORTCODES` (name → handler). Pictures
and embeds become the body's stored forms (DESIGN.md, "The story body") through
`Pictures`, which knows the import's media library:

- an `<img>` whose file is in the uploads folder (--media-dir; a resized copy such as
  photo-300x200.jpg means photo.jpg when that is there), or whose attachment's file is,
  becomes a library image and `<figure data-image>`; `[caption]` and the block editor's
  `<figure>` add its `<figcaption>`. A picture not found stays a link to where it was.
- `[gallery ids="…"]` becomes `<figure data-gallery>` of its attachments' pictures, in
  order; ids the export does not hold are skipped.
- `[embed]URL[/embed]`, a bare URL on its own line and the block editor's embed become
  `<figure data-embed>` when an `EMBED_PROVIDERS` provider serves the address (resolved
  when the article is saved, as for the desk), else a plain link.

Figures go in as placeholder paragraphs, which the sanitiser keeps, and are put in place
once the body is clean (`Pictures.put_figures()`); the result is sanitised again. Every
case is counted in the import summary.
"""

import html
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urljoin

from articles import embeds
from articles.richtext import Element, parse, sanitize_body, serialize

from ..common import clean_body, one_line

_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|(\S+))""")
_URL_LINE = re.compile(r"^\s*(https?://[^\s<>\"]+)\s*$", re.MULTILINE)
_HTTP_URL = re.compile(r"https?://[^\s<>\"]+$")
# A picture, alone or as the whole of a link (WordPress links pictures to their file).
_IMG = re.compile(r"<a\b[^>]*>\s*<img\b[^>]*>\s*</a>|<img\b[^>]*>", re.IGNORECASE)
# The block editor's figures (wp:image, wp:embed): innermost ones only.
_BLOCK_FIGURE = re.compile(
    r"<figure\b([^>]*)>((?:(?!<figure\b|</figure>).)*)</figure>", re.IGNORECASE | re.DOTALL
)
_FIGCAPTION = re.compile(r"<figcaption\b[^>]*>(.*?)</figcaption>", re.IGNORECASE | re.DOTALL)
_MARK = re.compile("\ufffcwp:(\\d+)\ufffc")


def _link(url, text=None):
    url = url.strip()
    if not _HTTP_URL.match(url):
        return ""
    label = html.escape(text if text else url, quote=False)
    return f'<a href="{html.escape(url)}">{label}</a>'


def _link_block(url):
    link = _link(url)
    return f"\n\n<p>{link}</p>\n\n" if link else ""


class _ImgAttrs(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.img = None

    def handle_starttag(self, tag, attrs):
        if tag == "img" and self.img is None:
            self.img = {name: value or "" for name, value in attrs}


def _img_attrs(markup):
    parser = _ImgAttrs()
    parser.feed(markup)
    parser.close()
    return parser.img or {}


class Pictures:
    """The pictures and embeds of the bodies of one import, counted in `counts`."""

    def __init__(self, media=None, counts=None, post_id=None):
        self.media = media  # media.MediaLibrary, or None: no picture is found
        self.counts = counts if counts is not None else Counter()
        self.post_id = post_id  # the WordPress post whose body this is
        # (figure markup, what stands in for it where no figure can go)
        self.figures = []
        self.pictures = {}  # placeholder number → (Image pk, captioned) of an inline image

    def placeholder(self, figure, fallback=""):
        self.figures.append((figure, fallback))
        return f"\n\n<p>\ufffcwp:{len(self.figures) - 1}\ufffc</p>\n\n"

    def _absolute(self, src):
        site = self.media.header.site_url if self.media else ""
        return urljoin(site, src.strip()) if _HTTP_URL.match(site or "") else src.strip()

    def image(self, markup, caption="", attachment_id=None):
        """A picture (its <img>, perhaps inside a link) → a figure placeholder, or a link
        to where it was when its file is not in the uploads folder."""
        attrs = _img_attrs(markup)
        src = attrs.get("src", "")
        alt = " ".join(attrs.get("alt", "").split())[:300]
        if attachment_id is None:
            found_id = re.search(r"\bwp-image-(\d+)\b", attrs.get("class", ""))
            attachment_id = int(found_id[1]) if found_id else None
        image = attachment = None
        if self.media is not None:
            found = self.media.find_upload(src)
            attachment = self.media.header.attachments.get(attachment_id)
            if found is not None:
                image = self.media.image_for_file(found, attachment=attachment, alt=alt)
            elif attachment is not None:
                image, _why = self.media.attachment_image(attachment_id)
        if image is None:
            self.counts["pictures not found"] += 1
            if self.media is not None and attachment is None:  # else listed with it
                self.media.summary.missing_body_media.add(
                    self.media.upload_path(src) or src.strip()[:200] or "(no address)"
                )
            name = src.rstrip("/").rsplit("/", 1)[-1]
            link = _link(self._absolute(src), alt or name) or html.escape(alt, quote=False)
            if caption:
                return f"\n\n<p>{link}</p>\n\n<p>{html.escape(caption, quote=False)}</p>\n\n"
            return link
        self.counts["inline images"] += 1
        classes = attrs.get("class", "") + " " + attrs.get("data-align", "")
        width = "full" if "alignfull" in classes else "wide" if "alignwide" in classes else "inline"
        figure = f'<figure data-image="{image.pk}" data-width="{width}"'
        if alt and alt != image.alt_text:
            figure += f' data-alt="{html.escape(alt)}"'
        figure += ">"
        if caption:
            self.counts["with captions"] += 1
            figure += f"<figcaption>{html.escape(caption, quote=False)}</figcaption>"
        figure += "</figure>"
        self.pictures[len(self.figures)] = (image.pk, bool(caption))
        return self.placeholder(figure, _link(self._absolute(src), alt or caption or src))

    def attached(self):
        """The attachments uploaded to this post, in WordPress's gallery order."""
        if self.media is None or not self.post_id:
            return []
        found = [a for a in self.media.header.attachments.values() if a.parent == self.post_id]
        return [a.wp_id for a in sorted(found, key=lambda a: (a.order, a.wp_id))]

    def gallery(self, ids, caption=""):
        pks = []
        for wp_id in ids:
            if self.media is None or wp_id not in self.media.header.attachments:
                self.counts["gallery ids not found"] += 1
                continue
            image, _why = self.media.attachment_image(wp_id)
            if image is None:
                self.counts["pictures not found"] += 1
                continue
            pks.append(image.pk)
        pks = list(dict.fromkeys(pks))
        if not pks:
            return ""
        self.counts["galleries"] += 1
        self.counts["gallery pictures"] += len(pks)
        figcaption = (
            f"<figcaption>{html.escape(caption, quote=False)}</figcaption>" if caption else ""
        )
        return self.placeholder(
            f'<figure data-gallery="{",".join(map(str, pks))}">{figcaption}</figure>'
        )

    def block_gallery(self, attrs, inner):
        """The block editor's gallery, its pictures already figures (placeholders) →
        one gallery of them, with the gallery's caption; pictures not found stay links
        after it."""
        shown = [int(n) for n in _MARK.findall(inner) if int(n) in self.pictures]
        if not shown:
            return None
        pks = list(dict.fromkeys(self.pictures[n][0] for n in shown))
        self.counts["inline images"] -= len(shown)
        self.counts["with captions"] -= sum(self.pictures[n][1] for n in shown)
        self.counts["galleries"] += 1
        self.counts["gallery pictures"] += len(pks)
        caption = _FIGCAPTION.search(inner)
        figcaption = (
            f"<figcaption>{html.escape(one_line(caption[1]), quote=False)}</figcaption>"
            if caption
            else ""
        )
        gallery = self.placeholder(
            f'<figure data-gallery="{",".join(map(str, pks))}">{figcaption}</figure>'
        )
        rest = _FIGCAPTION.sub("", re.sub(r"<p>\ufffcwp:\d+\ufffc</p>", "", inner))
        return gallery + (rest if re.sub(r"<[^>]*>", "", rest).strip() else "")

    def embed(self, url):
        """An address → an embed figure placeholder when a provider serves it (an
        http:// address counts as its https:// twin), else a plain link."""
        url = url.strip()
        for candidate in (url, "https://" + url[7:] if url.startswith("http://") else None):
            if candidate and embeds.provider_for(candidate) is not None:
                self.counts["embeds"] += 1
                return self.placeholder(
                    f'<figure data-embed="{html.escape(candidate)}"></figure>', _link(url)
                )
        link = _link_block(url)
        if link:
            self.counts["links (not embeddable)"] += 1
        return link

    def block_figures(self, content):
        """The block editor's image, gallery and embed figures → ours."""

        def figure(match):
            attrs, inner = match.group(1), match.group(2)
            if "wp-block-gallery" in attrs:
                return match.group(0)
            if "wp-block-embed" in attrs:
                url = re.search(r"https?://[^\s<>\"]+", re.sub(r"<[^>]*>", " ", inner))
                return self.embed(html.unescape(url[0])) if url else match.group(0)
            picture = _IMG.search(inner)
            if picture is None:
                return match.group(0)
            caption = _FIGCAPTION.search(inner)
            align = re.search(r"\balign(wide|full)\b", attrs)
            markup = picture.group(0)
            if align:
                markup = markup.replace("<img", f'<img data-align="align{align[1]}"', 1)
            return self.image(markup, one_line(caption[1]) if caption else "")

        def gallery(match):
            if "wp-block-gallery" not in match.group(1):
                return match.group(0)
            inner = _IMG.sub(lambda picture: self.image(picture.group(0)), match.group(2))
            made = self.block_gallery(match.group(1), inner)
            return f"<figure{match.group(1)}>{inner}</figure>" if made is None else made

        # Pictures first; then the galleries that held them are innermost.
        return _BLOCK_FIGURE.sub(gallery, _BLOCK_FIGURE.sub(figure, content))

    def put_figures(self, body):
        """The sanitised body with each placeholder paragraph replaced by its figure
        (several in one paragraph: one after the other); a placeholder anywhere else
        (inside a list, say) gets its link."""
        if "\ufffc" not in body:
            return body

        def fallback(match):
            n = int(match[1])
            return self.figures[n][1] if n < len(self.figures) else ""

        out = []
        for node in parse(body):
            if (
                isinstance(node, Element)
                and node.tag == "p"
                and all(isinstance(child, str) for child in node.children)
                and _MARK.search(node.text)
                and not _MARK.sub("", node.text).strip()
            ):
                out += [
                    self.figures[int(n)][0]
                    for n in _MARK.findall(node.text)
                    if int(n) < len(self.figures)
                ]
            else:
                out.append(_MARK.sub(fallback, serialize([node])))
        return sanitize_body("".join(out))


def embed(attrs, inner, bare, pictures):
    """[embed], [youtube], [vimeo], [tweet], [soundcloud]; also a bare URL on its own line."""
    url = inner.strip() or attrs.get("url", "") or attrs.get("src", "")
    if not url and bare.startswith("http"):
        url = bare.split()[0]
    return pictures.embed(html.unescape(url))


def audio_video(attrs, inner, bare, pictures):
    url = attrs.get("src") or next(
        (attrs[k] for k in ("mp3", "m4a", "ogg", "wav", "mp4", "webm", "ogv") if k in attrs),
        "",
    )
    return _link_block(url)


def caption(attrs, inner, bare, pictures):
    """[caption id="attachment_N" …]<img …> Text[/caption] → a figure with its caption."""
    picture = _IMG.search(inner)
    text = attrs.get("caption") or one_line(_IMG.sub(" ", inner))
    if picture is None:
        return f"\n\n<p>{html.escape(text, quote=False)}</p>\n\n" if text else ""
    found_id = re.fullmatch(r"attachment_(\d+)", (attrs.get("id") or "").strip())
    markup = picture.group(0)
    if attrs.get("align") in ("alignwide", "alignfull"):
        markup = markup.replace("<img", f'<img data-align="{attrs["align"]}"', 1)
    return pictures.image(markup, text, int(found_id[1]) if found_id else None)


def gallery(attrs, inner, bare, pictures):
    """[gallery ids="3,1,2"] (or include=…) → a gallery of those attachments, in order;
    without ids, of the pictures uploaded to the post, as WordPress shows them."""
    listed = attrs.get("ids") or attrs.get("include") or ""
    ids = [int(wp_id) for wp_id in re.findall(r"\d+", listed)]
    if not listed:
        ids = pictures.attached()
    return pictures.gallery(ids)


def dropped(attrs, inner, bare, pictures):
    """Shortcodes of things the body cannot hold (slideshows, playlists, maps)."""
    return ""


# Shortcode name → handler(attrs, inner, bare attribute text, Pictures) → HTML. The one
# table of what becomes of WordPress's own shortcodes.
SHORTCODES = {
    "caption": caption,
    "wp_caption": caption,
    "gallery": gallery,
    "slideshow": dropped,
    "embed": embed,
    "youtube": embed,
    "vimeo": embed,
    "tweet": embed,
    "soundcloud": embed,
    "audio": audio_video,
    "video": audio_video,
    "playlist": dropped,
    "googlemaps": dropped,
}


_SHORTCODE = re.compile(
    rf"\[(?P<name>{'|'.join(SHORTCODES)})\b(?P<attrs>[^\]]*)\]"
    r"(?:(?P<inner>.*?)\[/(?P=name)\])?",
    re.IGNORECASE | re.DOTALL,
)


def _shortcode(match, pictures):
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4)
        for m in _ATTR.finditer(match.group("attrs") or "")
    }
    handler = SHORTCODES[match.group("name").lower()]
    return handler(
        attrs, match.group("inner") or "", (match.group("attrs") or "").strip(), pictures
    )


# Shortcodes of plugins the newsroom does not have: an enclosing one keeps its text, one
# with attributes goes. A bare "[sic]" or "[...]" is left alone: it is probably prose.
_ENCLOSING = re.compile(r"\[([a-zA-Z_][\w-]*)(?:\s[^\]]*)?\](.*?)\[/\1\]", re.DOTALL)
_WITH_ATTRS = re.compile(
    r"\[[a-zA-Z_][\w-]*(?:\s+[\w-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\]]+))+\s*/?\]"
)


def render_shortcodes(content, pictures=None):
    pictures = pictures if pictures is not None else Pictures()
    content = _SHORTCODE.sub(lambda match: _shortcode(match, pictures), content)
    content = _ENCLOSING.sub(lambda m: m.group(2), content)
    return _WITH_ATTRS.sub("", content)


_ALLBLOCKS = (
    r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|"
    r"form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|"
    r"article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
)


def wpautop(text):
    """WordPress's automatic paragraphs (wp-includes/formatting.php), ported: double line
    breaks become paragraphs, single ones <br>, block-level HTML left alone."""
    if not text.strip():
        return ""
    pre_tags = {}
    text = text + "\n"
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        text = ""
        for index, part in enumerate(parts):
            start = part.find("<pre")
            if start == -1:
                text += part
                continue
            key = f"<pre wp-pre-tag-{index}></pre>"
            pre_tags[key] = part[start:] + "</pre>"
            text += part[:start] + key
        text += last
    text = re.sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = re.sub(r"(<" + _ALLBLOCKS + r"[\s/>])", r"\n\n\1", text)
    text = re.sub(r"(</" + _ALLBLOCKS + r">)", r"\1\n\n", text)
    text = re.sub(r"(<hr\s*?/?>)", r"\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Newlines inside a tag are not paragraph breaks.
    text = re.sub(r"<[^>]*>", lambda m: m.group(0).replace("\n", " "), text)
    if "<figcaption" in text:
        text = re.sub(r"\s*(<figcaption[^>]*>)", r"\1", text)
        text = re.sub(r"</figcaption>\s*", "</figcaption>", text)
    text = re.sub(r"\n\n+", "\n\n", text)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p]
    text = "".join("<p>" + p.strip("\n") + "</p>\n" for p in paragraphs)
    text = re.sub(r"<p>\s*</p>", "", text)
    text = re.sub(r"<p>([^<]+)</(div|address|form)>", r"<p>\1</p></\2>", text)
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(r"<p>(<li.+?)</p>", r"\1", text)
    text = re.sub(r"<p><blockquote([^>]*)>", r"<blockquote\1><p>", text, flags=re.IGNORECASE)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = re.sub(r"<p>\s*(</?" + _ALLBLOCKS + r"[^>]*>)", r"\1", text)
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*</p>", r"\1", text)
    text = re.sub(
        r"<(script|style|svg|math).*?</\1>",
        lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"),
        text,
        flags=re.DOTALL,
    )
    text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
    text = re.sub(r"(?<!<br />)\s*\n", "<br />\n", text)
    text = text.replace("<WPPreserveNewline />", "\n")
    text = re.sub(r"(</?" + _ALLBLOCKS + r"[^>]*>)\s*<br />", r"\1", text)
    text = re.sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", r"\1", text)
    text = re.sub(r"\n</p>$", "</p>", text)
    for key, value in pre_tags.items():
        text = text.replace(key, value)
    return text


def convert_content(content, pictures=None):
    """WordPress post content → HTML for the sanitiser, its pictures and embeds in
    `pictures` (a `Pictures`; without one, no picture is found)."""
    pictures = pictures if pictures is not None else Pictures()
    content = (content or "").replace("\r\n", "\n").replace("\ufffc", "")
    content = re.sub(r"<!--\s*(?:more|nextpage|noteaser)\b.*?-->", "", content)
    content = pictures.block_figures(content)
    content = render_shortcodes(content, pictures)
    content = _IMG.sub(lambda match: pictures.image(match.group(0)), content)
    if "<!-- wp:" not in content:
        # Classic-editor content (the block editor stores its own <p> tags), and bare
        # URLs on their own line, which WordPress turns into embeds.
        content = _URL_LINE.sub(lambda m: pictures.embed(m.group(1)), content)
        content = wpautop(content)
    content = re.sub(r"<!--.*?-->", "", content, flags=re.DOTALL)
    body = pictures.put_figures(clean_body(content))
    # The block editor's comments and the placeholders leave blank lines between blocks.
    return re.sub(r">[ \t]*\n\s*\n\s*<", ">\n<", body)
