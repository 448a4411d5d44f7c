"""factory_boy factories for every model the tests build."""

import datetime
import io

import factory
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, Author, Byline, Correction, Image, Section
from comments.models import BlockedTerm, Comment


def png_bytes(width=64, height=48, color=(200, 30, 30)):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("correct-horse-battery-staple")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
            self.is_staff = True
            self.save(update_fields=["is_staff"])


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"author-{n}")
    job_title = "Reporter"
    bio = factory.Faker("sentence")


class ImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Image

    file = factory.LazyFunction(lambda: ContentFile(png_bytes(), name="picture.png"))
    alt_text = factory.Faker("sentence", nb_words=5)


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Article
        skip_postgeneration_save = True

    headline = factory.Sequence(lambda n: f"Council approves budget number {n}")
    slug = factory.Sequence(lambda n: f"council-approves-budget-{n}")
    standfirst = "The vote came after a long debate."
    body = "<p>First paragraph.</p><p>Second paragraph.</p>"
    section = factory.SubFactory(SectionFactory)
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))

    class Params:
        draft = factory.Trait(status=Article.Status.DRAFT, published_at=None)
        review = factory.Trait(status=Article.Status.REVIEW, published_at=None)
        scheduled = factory.Trait(
            published_at=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
        )
        withdrawn = factory.Trait(status=Article.Status.WITHDRAWN)

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            for position, author in enumerate(extracted):
                Byline.objects.create(article=self, author=author, position=position)

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)


class CorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correction

    article = factory.SubFactory(ArticleFactory)
    text = "An earlier version misspelt the mayor's name."


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    article = factory.SubFactory(ArticleFactory)
    name = factory.Faker("first_name")
    email = factory.Faker("email")
    body = factory.Faker("paragraph")
    status = Comment.Status.APPROVED


class BlockedTermFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BlockedTerm

    term = factory.Sequence(lambda n: f"blocked{n}")
