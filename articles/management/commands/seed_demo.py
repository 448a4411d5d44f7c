"""Fill an empty database with a believable demo newspaper; safe to run twice."""

import datetime
import io
import random

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import slugify
from PIL import Image as PILImage
from PIL import ImageDraw

from articles.demo_content import (
    ARTICLES,
    AUTHORS,
    COMMENT_SNIPPETS,
    PARAGRAPH_PATTERNS,
    SECTIONS,
    SUBHEADINGS,
)
from articles.models import (
    Article,
    Author,
    Byline,
    Correction,
    EditorialNote,
    Image,
    Section,
)
from comments.models import Comment, keyed_hash

DEMO_USERS = [
    # username, password, group, is_superuser
    ("admin", "newsroom-admin-demo", None, True),
    ("editor", "newsroom-editor-demo", "Editor", False),
    ("reporter", "newsroom-reporter-demo", "Reporter", False),
    ("moderator", "newsroom-moderator-demo", "Moderator", False),
]

COMMENTER_NAMES = ["Jo", "Ravi P.", "Maggie", "Ade", "Chris from Eastfield", "Lena", "Tom W."]


def _jpeg(image):
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def portrait(name, color):
    """A simple illustrated portrait: coloured background, head and shoulders, initials."""
    img = PILImage.new("RGB", (400, 400), color)
    draw = ImageDraw.Draw(img)
    light = tuple(min(255, c + 90) for c in color)
    draw.ellipse((130, 70, 270, 210), fill=light)
    draw.ellipse((70, 230, 330, 520), fill=light)
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    draw.text((16, 16), initials, fill=(255, 255, 255), font_size=48)
    return _jpeg(img)


def lead_picture(seed, headline):
    """A landscape 'photograph': sky gradient, hills and a sun, different for every story."""
    rng = random.Random(seed)
    width, height = 1600, 900
    top = (rng.randint(40, 120), rng.randint(90, 160), rng.randint(150, 230))
    bottom = (rng.randint(200, 255), rng.randint(170, 230), rng.randint(120, 200))
    img = PILImage.new("RGB", (width, height))
    draw = ImageDraw.Draw(img)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(top[i] + (bottom[i] - top[i]) * t) for i in range(3)),
        )
    sun_x, sun_y = rng.randint(200, 1400), rng.randint(120, 380)
    draw.ellipse((sun_x - 90, sun_y - 90, sun_x + 90, sun_y + 90), fill=(255, 236, 170))
    for layer in range(3):
        shade = 40 + layer * 35
        base = 520 + layer * 120
        points = [(0, height)]
        for x in range(0, width + 200, 200):
            points.append((x, base - rng.randint(0, 160)))
        points.append((width, height))
        draw.polygon(points, fill=(shade, 70 + layer * 30, shade + 10))
    return _jpeg(img)


def article_body(spec, rng):
    _section, _headline, _standfirst, _authors, _tags, place, figure, speaker, quote = spec
    values = {
        "place": place,
        "figure": figure,
        "speaker": speaker,
        "quote": quote,
        "weekday": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
    }
    paragraphs = [escape(p.format(**values)) for p in PARAGRAPH_PATTERNS]
    first, rest = paragraphs[:3], paragraphs[3:]
    rng.shuffle(rest)
    html = "".join(f"<p>{p}</p>" for p in first)
    html += f"<h2>{rng.choice(SUBHEADINGS)}</h2>"
    html += "".join(f"<p>{p}</p>" for p in rest[:3])
    html += f"<blockquote><p>{escape(quote)}</p></blockquote>"
    html += "".join(f"<p>{p}</p>" for p in rest[3:])
    return html


class Command(BaseCommand):
    help = (
        "Fill the database with demo sections, authors, articles, comments and users "
        "(among them a superuser `admin` whose password is published in the README). "
        "Refused with DEBUG off unless --i-know-this-is-production is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--i-know-this-is-production",
            action="store_true",
            dest="production",
            help="Seed even with DEBUG off: creates accounts with published passwords.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["production"]:
            raise CommandError(
                "DEBUG is off, so this looks like production: seed_demo would create an "
                "'admin' superuser and other accounts whose passwords are published in the "
                "README. Nothing was changed. Run it with DEBUG=1 for a demo, or add "
                "--i-know-this-is-production if you really mean it."
            )
        rng = random.Random(2026)
        with transaction.atomic():
            created = self.seed(rng)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Demo content created: {created}."))
        else:
            self.stdout.write("Demo content already present; nothing changed.")
        self.stdout.write("\nDemo accounts (log in at /admin/):")
        for username, password, group, _superuser in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {password:<24} {group or 'Superuser'}")

    def seed(self, rng):
        counts = {}

        def bump(key, was_created):
            if was_created:
                counts[key] = counts.get(key, 0) + 1

        users = {}
        for username, password, group, superuser in DEMO_USERS:
            user, made = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@newsroom.example",
                    "is_staff": True,
                    "is_superuser": superuser,
                },
            )
            if made:
                user.set_password(password)
                user.save(update_fields=["password"])
                if group:
                    user.groups.add(Group.objects.get(name=group))
            users[username] = user
            bump("users", made)

        sections = {}
        for position, (name, slug, description) in enumerate(SECTIONS):
            sections[slug], made = Section.objects.get_or_create(
                slug=slug,
                defaults={"name": name, "description": description, "position": position},
            )
            bump("sections", made)

        authors = []
        for name, job_title, color, bio in AUTHORS:
            slug = slugify(name)
            author = Author.objects.filter(slug=slug).first()
            if author is None:
                author = Author(
                    name=name,
                    slug=slug,
                    job_title=job_title,
                    bio=bio,
                    email=f"{slug}@newsroom.example",
                )
                author.photo.save(f"{slug}.jpg", ContentFile(portrait(name, color)), save=False)
                author.save()
                bump("authors", True)
            authors.append(author)
        reporter_author = authors[6]
        if reporter_author.user_id is None:
            reporter_author.user = users["reporter"]
            reporter_author.save(update_fields=["user"])

        now = timezone.now().replace(second=0, microsecond=0)
        for index, spec in enumerate(ARTICLES):
            section_slug, headline, standfirst, author_indexes, tags = spec[:5]
            slug = slugify(headline)
            if Article.objects.filter(slug=slug).exists():
                continue
            published_at = now - datetime.timedelta(hours=5 + index * 17 + rng.randint(0, 6))
            image = Image(
                alt_text=f"Illustration for: {headline}",
                caption=spec[5].capitalize() + ", where the story unfolded.",
                credit="Newsroom demo illustration",
                focal_x=round(rng.uniform(0.3, 0.7), 2),
                focal_y=round(rng.uniform(0.3, 0.6), 2),
                uploaded_by=users["editor"],
            )
            image.file.save(
                f"{slug[:60]}.jpg", ContentFile(lead_picture(index, headline)), save=False
            )
            image.save()
            article = Article.objects.create(
                headline=headline,
                slug=slug,
                standfirst=standfirst,
                body=article_body(spec, rng),
                section=sections[section_slug],
                lead_image=image,
                status=Article.Status.PUBLISHED,
                published_at=published_at,
                created_at=published_at - datetime.timedelta(hours=3),
                featured=index in (0, 12, 24),
                created_by=users["editor"],
            )
            for position, author_index in enumerate(author_indexes):
                Byline.objects.create(
                    article=article, author=authors[author_index], position=position
                )
            article.tags.add(*tags)
            bump("articles", True)
            if index in (2, 9):
                Correction.objects.create(
                    article=article,
                    kind=Correction.Kind.CORRECTION
                    if index == 2
                    else Correction.Kind.CLARIFICATION,
                    text=(
                        "An earlier version of this article gave the wrong ward name. It has been "
                        "corrected."
                        if index == 2
                        else "This article has been updated to make clear that the figures "
                        "are estimates supplied by the company."
                    ),
                    created_at=published_at + datetime.timedelta(hours=4),
                )
            if index < 12:
                self.add_comments(article, rng, published_at)

        extra = [
            (
                "Embargoed: city wins bid to host national games",
                "published",
                now + datetime.timedelta(days=1, hours=2),
                "The announcement is under embargo until tomorrow morning.",
            ),
            (
                "Draft: what the new bus timetable means for you",
                "draft",
                None,
                "A guide to every changed route, still being checked.",
            ),
            (
                "In review: inside the council's housing waiting list",
                "review",
                None,
                "Thousands of families have waited more than five years.",
            ),
        ]
        for headline, status, published_at, standfirst in extra:
            slug = slugify(headline.split(": ", 1)[1])
            if Article.objects.filter(slug=slug).exists():
                continue
            article = Article.objects.create(
                headline=headline.split(": ", 1)[1].capitalize(),
                slug=slug,
                standfirst=standfirst,
                body="<p>" + escape(standfirst) + "</p><p>More to follow.</p>",
                section=sections["news"],
                status=status,
                published_at=published_at,
                created_by=users["reporter"] if status != "published" else users["editor"],
            )
            Byline.objects.create(article=article, author=reporter_author, position=0)
            bump("articles", True)
            if status == "review":
                # The desk talking about the story in its notes panel (never shown to readers).
                EditorialNote.objects.create(
                    article=article,
                    author=users["editor"],
                    text="Which year do the council's figures come from? "
                    "@reporter please add the source.",
                )
                EditorialNote.objects.create(
                    article=article,
                    author=users["reporter"],
                    text="The lead picture is cleared with the photo desk.",
                ).resolve(by=users["editor"])
                counts["notes"] = counts.get("notes", 0) + 2

        return ", ".join(f"{n} {what}" for what, n in counts.items())

    def add_comments(self, article, rng, published_at):
        statuses = ["approved"] * 4 + ["pending", "rejected", "spam"]
        parent = None
        for position, status in enumerate(statuses):
            body = rng.choice(COMMENT_SNIPPETS)
            if status == "spam":
                body = "Cheap watches!!! Visit https://spam.example/buy now for 90% off"
            # Each commenter is one person with one address, so the queue shows
            # several people, and banning one touches only their comments.
            name = rng.choice(COMMENTER_NAMES)
            comment = Comment.objects.create(
                article=article,
                parent=parent if position == 1 else None,
                name=name,
                email=f"{slugify(name)}@example.org",
                ip_hash=keyed_hash("ip", f"192.0.2.{COMMENTER_NAMES.index(name) + 1}"),
                body=body,
                status=status,
                moderation_reason="Demo content",
                created_at=published_at + datetime.timedelta(minutes=30 + position * 47),
            )
            if position == 0:
                parent = comment
