"""Fill the database with a newspaper-sized archive for benchmarks and scale tests.

    manage.py generate_content                      # 100,000 articles, 1,000,000 comments
    manage.py generate_content --articles 200 --comments 2000

Rows go in with bulk inserts (PostgreSQL COPY through psycopg 3, `bulk_create`
elsewhere), never one `save()` per row, so everything `save()` would derive is
derived here once per template instead: the sanitised body and its word count,
each comment's `body_html`. Images are few and made by the real `Image.save()`
(renditions included) and shared by many articles; the search data is rebuilt by
`articles.search.reindex()` at the end.

The shape the benchmark relies on:
- the newest article is featured and "hot": `--hot-comments` approved comments;
- the next `max(1, articles // 100)` articles have exactly 50 approved comments each;
- every other comment goes to a live article, newer ones more often;
- COMMON_WORD is in many headlines and RARE_WORD in about one in 20,000.
"""

import datetime
import hashlib
import io
import itertools
import random
import time

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import dateformat, timezone
from django.utils.html import escape
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw
from taggit.models import Tag

from articles.demo_content import COMMENT_SNIPPETS, PARAGRAPH_PATTERNS, SUBHEADINGS
from articles.models import Article, Author, Byline, Image, Section, TaggedArticle
from articles.richtext import sanitize_body, word_count
from comments.models import Comment
from comments.rendering import render_comment, thread_html

try:  # derived when a comment is saved, where the comments app computes it
    from comments.rendering import fingerprint
except ImportError:
    fingerprint = None

COMMON_WORD = "council"
RARE_WORD = "quokka"
HOT_SLUG_SUFFIX = "-hot"

SECTION_NAMES = [
    "News", "Politics", "Business", "Climate", "Culture", "Sport", "Science", "World",
    "Health", "Education", "Transport", "Housing", "Technology", "Opinion", "Travel",
    "Food", "Books", "Music", "Film", "Obituaries",
]  # fmt: skip
FIRST_NAMES = [
    "Amira", "Tomás", "Grace", "Henrik", "Mei", "Daniel", "Priya", "Sam", "Olu", "Ines",
    "Marek", "Hana", "Lucía", "Kwame", "Freya", "Yusuf", "Aoife", "Kenji", "Zara", "Luca",
    "Noor", "Pieter", "Ada", "Rahul", "Sofia",
]  # fmt: skip
LAST_NAMES = [
    "Haddad", "Ferreira", "Okafor", "Lindqvist", "Chen", "Brooks", "Raman", "Whitfield",
    "Adeyemi", "Novak", "Sato", "Moreau", "Kowalski", "Byrne", "Mensah", "Rossi", "Nilsen",
    "Costa", "Ibrahim", "Varga",
]  # fmt: skip
SUBJECTS = [
    "Council", "Mayor", "Hospital", "University", "Police", "Residents", "Traders",
    "Club", "Ministers", "Scientists", "Teachers", "Farmers", "Rail operator", "Museum",
    "Campaigners", "Court", "Library", "Port authority", "Charity", "Start-up",
]  # fmt: skip
VERBS = [
    "approves", "rejects", "delays", "unveils", "questions", "backs", "cuts", "expands",
    "reviews", "defends", "announces", "scraps", "wins", "loses", "funds", "opens",
]  # fmt: skip
OBJECTS = [
    "budget", "housing plan", "river crossing", "school merger", "bus routes",
    "flood defences", "stadium deal", "night market", "cycle lanes", "energy scheme",
    "library hours", "parking charges", "park redesign", "tram extension",
    "heritage listing", "festival licence", "water prices", "research centre",
]  # fmt: skip
QUALIFIERS = [
    "after late-night vote", "despite protests", "for the first time in a decade",
    "as costs rise", "in surprise move", "after long review", "amid council row",
    "ahead of winter", "with cross-party support", "following public meeting",
]  # fmt: skip
PLACES = ["the town hall", "the covered market", "the riverside", "the old station"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
USER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148 Safari/604.1",
]
ARTICLE_STATUSES = (
    [Article.Status.PUBLISHED] * 95
    + [Article.Status.DRAFT] * 3
    + [Article.Status.REVIEW] * 1
    + [Article.Status.WITHDRAWN] * 1
)
OTHER_COMMENT_STATUSES = (
    [Comment.Status.APPROVED] * 85
    + [Comment.Status.PENDING] * 8
    + [Comment.Status.REJECTED] * 4
    + [Comment.Status.SPAM] * 3
)

ARTICLE_COLUMNS = [
    "id", "headline", "slug", "standfirst", "body", "body_html", "section_id", "lead_image_id",
    "lead_image_caption", "lead_image_credit", "status", "published_at", "created_at",
    "updated_at", "featured", "comments_enabled", "seo_title", "seo_description",
    "word_count", "version",
]  # fmt: skip
COMMENT_COLUMNS = [
    "id", "article_id", "parent_id", "name", "email", "body", "body_html", "status",
    "moderation_reason", "created_at", "ip_hash", "user_agent", "moderated_at",
    "html", "html_closed",
]  # fmt: skip


class BulkWriter:
    """Inserts rows given as tuples in `columns` order: COPY on PostgreSQL, else bulk_create."""

    def __init__(self, batch_size=2000):
        self.postgres = connection.vendor == "postgresql"
        self.batch_size = batch_size

    def write(self, model, columns, rows):
        if self.postgres:
            fixed, per_row = self.other_fields(model, columns)
            names = [*columns, *(f.column for f, _ in fixed), *(f.column for f in per_row)]
            constant = tuple(value for _, value in fixed)
            cols = ", ".join(connection.ops.quote_name(c) for c in names)
            sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({cols}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                for row in rows:
                    extra = tuple(self.prep(f, f.get_default()) for f in per_row)
                    copy.write_row(row + constant + extra)
            return
        rows = iter(rows)
        while batch := list(itertools.islice(rows, self.batch_size)):
            model.objects.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in batch]
            )

    @staticmethod
    def prep(field, value):
        return field.get_db_prep_save(value, connection)

    def other_fields(self, model, columns):
        """Fields the caller did not name get their model default, as bulk_create would
        give them: a constant, or a fresh value per row for a callable default."""
        fixed, per_row = [], []
        for field in model._meta.concrete_fields:
            if field.column in columns or field.primary_key:
                continue
            if field.has_default() and callable(field.default):
                per_row.append(field)
            elif field.has_default() or not field.null:
                fixed.append((field, self.prep(field, field.get_default())))
        return fixed, per_row


def picture(seed, width=1600, height=900):
    """A landscape 'photograph' (sky, sun, hills), different for every seed."""
    rng = random.Random(seed)
    top = (rng.randint(40, 120), rng.randint(90, 160), rng.randint(150, 230))
    bottom = (rng.randint(200, 255), rng.randint(170, 230), rng.randint(120, 200))
    gradient = PILImage.linear_gradient("L").resize((width, height))
    img = PILImage.merge(
        "RGB",
        [
            gradient.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
            for a, b in zip(top, bottom, strict=True)
        ],
    )
    draw = ImageDraw.Draw(img)
    sun_x, sun_y = rng.randint(200, width - 200), rng.randint(120, height // 3)
    draw.ellipse((sun_x - 90, sun_y - 90, sun_x + 90, sun_y + 90), fill=(255, 236, 170))
    for layer in range(3):
        base = height * 4 // 7 + layer * height // 8
        points = [(0, height)]
        points += [(x, base - rng.randint(0, 160)) for x in range(0, width + 200, 200)]
        points.append((width, height))
        draw.polygon(points, fill=(40 + layer * 35, 70 + layer * 30, 50 + layer * 35))
    buffer = io.BytesIO()
    img.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Generate a large synthetic archive (articles, bylines, tags, comments) in bulk."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=100_000)
        parser.add_argument("--comments", type=int, default=1_000_000)
        parser.add_argument("--sections", type=int, default=20)
        parser.add_argument("--authors", type=int, default=500)
        parser.add_argument("--tags", type=int, default=2_000)
        parser.add_argument(
            "--hot-comments",
            type=int,
            default=2_000,
            help="Approved comments on the hot article (at most half of --comments).",
        )
        parser.add_argument("--images", type=int, default=12, help="Size of the image pool.")
        parser.add_argument("--years", type=int, default=10, help="How far back the archive goes.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        if options["articles"] < 2:
            raise CommandError("--articles must be at least 2.")
        if options["comments"] < 0:
            raise CommandError("--comments cannot be negative.")
        self.rng = random.Random(options["seed"])
        self.started = time.monotonic()
        self.writer = BulkWriter()
        self.now = timezone.now().replace(microsecond=0)
        with transaction.atomic():
            if self.writer.postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            sections = self.make_sections(options["sections"])
            authors = self.make_authors(options["authors"])
            tags = self.make_tags(options["tags"])
            images = self.make_images(options["images"])
            live = self.make_articles(options, sections, authors, tags, images)
            self.make_comments(options, live)
            self.reset_sequences()
        self.reindex_search()
        # After the search data: statistics taken while the vectors were still empty make
        # the planner expect one match for every word and pick bad plans for common ones.
        self.analyze()
        from newsroom import caching, invalidation

        invalidation.end({invalidation.ALL, caching.CLOCK})
        self.progress("done")

    # -- helpers -------------------------------------------------------------------------

    def progress(self, message):
        self.stdout.write(f"[{time.monotonic() - self.started:7.1f}s] {message}")
        self.stdout.flush()

    def next_id(self, model):
        last = model.objects.order_by("-id").values_list("id", flat=True).first()
        return (last or 0) + 1

    def reset_sequences(self):
        statements = connection.ops.sequence_reset_sql(
            no_style(), [Section, Author, Tag, Article, Byline, TaggedArticle, Comment]
        )
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    def analyze(self):
        # VACUUM as well as ANALYZE: it sets the visibility map of the freshly written
        # pages, which index-only scans (deep list pages) need to skip the table. VACUUM
        # cannot run in a transaction (the tests' own), where ANALYZE alone does.
        if not self.writer.postgres:
            return
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for model in (Article, Byline, TaggedArticle, Tag, Comment):
                cursor.execute(f"{command} {connection.ops.quote_name(model._meta.db_table)}")
        self.progress(f"{command}: done")

    def reindex_search(self):
        try:
            from articles.search import reindex
        except ImportError:
            self.progress("search: articles.search.reindex is not available; skipped")
            return
        reindex()
        self.progress("search data rebuilt with articles.search.reindex()")

    # -- the small tables ----------------------------------------------------------------

    def make_sections(self, count):
        names = [
            SECTION_NAMES[i] if i < len(SECTION_NAMES) else f"Section {i + 1}" for i in range(count)
        ]
        existing = set(Section.objects.values_list("slug", flat=True))
        Section.objects.bulk_create(
            [
                Section(name=name, slug=slugify(name), position=i, description=f"{name} coverage.")
                for i, name in enumerate(names)
                if slugify(name) not in existing
            ],
            ignore_conflicts=True,
        )
        sections = list(Section.objects.filter(slug__in=[slugify(n) for n in names]))
        self.progress(f"sections: {len(sections)}")
        return sections

    def make_authors(self, count):
        slugs = [f"gen-author-{i + 1}" for i in range(count)]
        existing = set(Author.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        new = []
        for i, slug in enumerate(slugs):
            if slug in existing:
                continue
            name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i // len(FIRST_NAMES) % 20]}"
            new.append(Author(name=name, slug=slug, job_title="Reporter", bio=f"{name} reports."))
        Author.objects.bulk_create(new, batch_size=1000)
        authors = list(Author.objects.filter(slug__in=slugs).values_list("id", flat=True))
        self.progress(f"authors: {len(authors)}")
        return authors

    def make_tags(self, count):
        words = [w.lower() for w in OBJECTS + SUBJECTS]
        names = []
        for i in range(count):
            base = words[i % len(words)]
            names.append(base if i < len(words) else f"{base} {i // len(words)}")
        slugs = [slugify(n) for n in names]
        existing = set(Tag.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        start = self.next_id(Tag)
        rows = (
            (start + i, name, slug)
            for i, (name, slug) in enumerate(
                (n, s) for n, s in zip(names, slugs, strict=True) if s not in existing
            )
        )
        self.writer.write(Tag, ["id", "name", "slug"], rows)
        tags = list(Tag.objects.filter(slug__in=slugs).order_by("id").values_list("id", flat=True))
        self.progress(f"tags: {len(tags)}")
        return tags

    def make_images(self, count):
        images = []
        for i in range(count):
            image = Image(
                file=ContentFile(picture(self.rng.random()), name=f"generated-{i + 1}.jpg"),
                alt_text=f"Generated landscape number {i + 1}",
                caption="A view over the hills.",
                credit="Newsroom picture desk",
            )
            image.save()  # the real code path: validation, metadata, renditions
            images.append(image.pk)
        self.progress(f"images: {len(images)} (renditions made by Image.save)")
        return images

    # -- articles ------------------------------------------------------------------------

    def bodies(self, count=40):
        """Body templates, sanitised and counted once each, shared by many articles."""
        rng = self.rng
        templates = []
        for _ in range(count):
            paragraphs = []
            for n in range(rng.randint(5, 9)):
                if n and n % 3 == 0:
                    paragraphs.append(f"<h2>{rng.choice(SUBHEADINGS)}</h2>")
                text = rng.choice(PARAGRAPH_PATTERNS).format(
                    place=rng.choice(PLACES),
                    weekday=rng.choice(WEEKDAYS),
                    figure=f"£{rng.randint(2, 90)}m",
                    quote="We will keep listening to people here",
                    speaker=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                )
                paragraphs.append(f"<p>{text}</p>")
            body = sanitize_body("".join(paragraphs))
            templates.append((body, word_count(body)))
        return templates

    def make_articles(self, options, sections, authors, tags, images):
        rng = self.rng
        total = options["articles"]
        bodies = self.bodies()
        standfirsts = [
            f"{rng.choice(SUBJECTS)} says the decision on the {rng.choice(OBJECTS)} "
            f"will be {rng.choice(['reviewed', 'published', 'challenged'])} next month."
            for _ in range(60)
        ]
        span = datetime.timedelta(days=365 * options["years"]).total_seconds()
        start = self.next_id(Article)
        # Zipf-like tag popularity: a few tags are on many articles.
        tag_weights = [1 / (rank + 1) for rank in range(len(tags))]
        tag_cum = list(itertools.accumulate(tag_weights))
        rare_every = 20_000
        live = []
        articles, bylines, tagged = [], [], []
        byline_id, tagged_id = self.next_id(Byline), self.next_id(TaggedArticle)

        for i in range(total):
            pk = start + i
            hot = i == 0
            if hot:
                published = self.now - datetime.timedelta(hours=3)
                status = Article.Status.PUBLISHED
            else:
                age = span * (i / total) + rng.random() * 3600
                published = self.now - datetime.timedelta(seconds=age + 4 * 3600)
                status = rng.choice(ARTICLE_STATUSES)
                if status == Article.Status.PUBLISHED and i % 100 == 50:
                    # A few embargoed stories, scheduled for the coming days.
                    published = self.now + datetime.timedelta(hours=rng.randint(1, 96))
            subject = COMMON_WORD.capitalize() if i % 4 == 0 else rng.choice(SUBJECTS)
            headline = f"{subject} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
            rare = i % rare_every == min(7, total - 1)
            if rare:
                status = Article.Status.PUBLISHED
                headline += f" as {RARE_WORD} sighting delights visitors"
            else:
                headline += f" {rng.choice(QUALIFIERS)}"
            slug = f"{slugify(headline)[:200]}-{pk}" + (HOT_SLUG_SUFFIX if hot else "")
            body, words = rng.choice(bodies)
            is_draft = status in (Article.Status.DRAFT, Article.Status.REVIEW)
            articles.append(
                (
                    pk,
                    headline,
                    slug,
                    rng.choice(standfirsts),
                    body,
                    body,  # text only: what readers get is the sanitised body itself
                    sections[i % len(sections)].pk,
                    images[i % len(images)] if images and i % 10 < 7 else None,
                    "",
                    "",
                    status,
                    None if is_draft else published,
                    (self.now if is_draft else published) - datetime.timedelta(hours=2),
                    self.now if is_draft else published,
                    hot,
                    True,
                    "",
                    "",
                    words,
                    1,
                )
            )
            for position, author in enumerate(rng.sample(authors, 2 if i % 5 == 0 else 1)):
                bylines.append((byline_id, pk, author, position))
                byline_id += 1
            chosen = set()
            for _ in range(rng.randint(1, 5)):
                chosen.add(tags[self.pick(tag_cum, rng.random() * tag_cum[-1])])
            for tag in chosen:
                tagged.append((tagged_id, tag, pk))
                tagged_id += 1
            if status == Article.Status.PUBLISHED and published <= self.now:
                live.append((pk, published))
            if len(articles) >= 10_000 or i == total - 1:
                self.writer.write(Article, ARTICLE_COLUMNS, articles)
                self.writer.write(Byline, ["id", "article_id", "author_id", "position"], bylines)
                self.writer.write(TaggedArticle, ["id", "tag_id", "content_object_id"], tagged)
                articles, bylines, tagged = [], [], []
                self.progress(f"articles: {i + 1:,} / {total:,}")
        return live

    @staticmethod
    def pick(cumulative, value):
        lo, hi = 0, len(cumulative) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cumulative[mid] < value:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # -- comments ------------------------------------------------------------------------

    def comment_pool(self, count=300):
        """Comment texts and their HTML, rendered once per template by the real renderer."""
        rng = self.rng
        pool = []
        for n in range(count):
            parts = rng.sample(COMMENT_SNIPPETS, rng.randint(1, 3))
            text = "\n\n".join(parts)
            if n % 10 == 0:
                text += "\n\nMore here: https://example.org/report?id=" + str(n)
            pool.append((text, render_comment(text), fingerprint(text) if fingerprint else None))
        return pool

    def comment_markup(self):
        """A function giving a comment's finished thread markup (`Comment.html` and
        `html_closed`) from its values, as `Comment.save()` makes it: the real
        template renders once with stand-in values, which each row then replaces
        (rendering a million comments one by one would take most of an hour)."""
        when = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)
        stand_in = Comment(
            pk=918273645, article_id=827364519, name="Zqxname", created_at=when,
            body_html="Zqxbody",
        )  # fmt: skip
        shapes = [thread_html(stand_in, reply=reply) for reply in (True, False)]
        formats = ("c", "j M Y, H:i")  # as comments/includes/comment.html shows the time
        stamps = [dateformat.format(timezone.localtime(when), f) for f in formats]

        def markup(pk, article, name, created, body_html):
            local = timezone.localtime(created)
            values = [
                *zip(stamps, (dateformat.format(local, f) for f in formats), strict=True),
                ("918273645", str(pk)),
                ("827364519", str(article)),
                ("Zqxname", escape(name or "Anonymous")),
                ("Zqxbody", body_html),
            ]
            results = []
            for shape in shapes:
                for old, new in values:
                    shape = shape.replace(old, new)
                results.append(shape)
            return results

        return markup

    def make_comments(self, options, live):
        rng = self.rng
        total = options["comments"]
        if not total or not live:
            self.progress("comments: none")
            return
        hot_approved = min(options["hot_comments"], total // 2)
        fifty = max(1, len(live) // 100)
        fifty_articles = live[1 : 1 + fifty]
        while fifty_articles and hot_approved + 50 * len(fifty_articles) > total:
            fifty_articles.pop()
        rest_articles = live[1 + len(fifty_articles) :]
        pool = self.comment_pool()
        markup = self.comment_markup()
        ip_hashes = [hashlib.sha256(f"reader-{n}".encode()).hexdigest() for n in range(5000)]
        names = [f"{first} {last[0]}." for first in FIRST_NAMES for last in LAST_NAMES]
        next_id = self.next_id(Comment)
        last_approved = {}
        written = 0

        def row(article, published, status):
            nonlocal next_id
            pk = next_id
            next_id += 1
            text, html, digest = pool[pk % len(pool)]
            age = max(60.0, (self.now - published).total_seconds())
            created = published + datetime.timedelta(seconds=rng.random() * min(age, 7 * 86400))
            parent = last_approved.get(article) if pk % 7 == 0 else None
            if status == Comment.Status.APPROVED:
                last_approved[article] = pk
            moderated = None
            if status != Comment.Status.PENDING:
                moderated = created + datetime.timedelta(minutes=5)
            name = names[pk % len(names)]
            return (
                pk,
                article,
                parent,
                name,
                f"reader{pk % 5000}@example.org",
                text,
                html,
                status,
                "" if status == Comment.Status.APPROVED else "generated",
                created,
                ip_hashes[pk % len(ip_hashes)],
                USER_AGENTS[pk % len(USER_AGENTS)],
                moderated,
                *markup(pk, article, name, created, html),
                *((digest,) if fingerprint else ()),
            )

        def rows():
            nonlocal written
            hot_pk, hot_published = live[0]
            # The hot article: its approved comments plus a queue of others (about 10%).
            for _ in range(hot_approved):
                yield row(hot_pk, hot_published, Comment.Status.APPROVED)
            extra = min(hot_approved // 10, total - hot_approved - 50 * len(fifty_articles))
            for n in range(extra):
                status = Comment.Status.PENDING if n % 2 else Comment.Status.SPAM
                yield row(hot_pk, hot_published, status)
            for pk, published in fifty_articles:
                for _ in range(50):
                    yield row(pk, published, Comment.Status.APPROVED)
            written = hot_approved + extra + 50 * len(fifty_articles)
            remaining = total - written
            count = len(rest_articles)
            for n in range(remaining):
                if not count:  # nowhere else to go: the hot article's moderation queue
                    yield row(hot_pk, hot_published, Comment.Status.PENDING)
                    continue
                # Newer articles draw more comments; the newest gets about n / count**(2/3).
                pk, published = rest_articles[int(count * rng.random() ** 1.5)]
                yield row(pk, published, rng.choice(OTHER_COMMENT_STATUSES))
                if (n + 1) % 200_000 == 0:
                    self.progress(f"comments: {written + n + 1:,} / {total:,}")

        columns = [*COMMENT_COLUMNS, *(["body_fingerprint"] if fingerprint else [])]
        self.writer.write(Comment, columns, rows())
        self.progress(
            f"comments: {total:,} (hot article {live[0][0]}: {hot_approved} approved; "
            f"{len(fifty_articles)} articles with exactly 50)"
        )
