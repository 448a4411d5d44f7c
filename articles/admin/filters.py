"""The change list's sidebar filters."""

from django.contrib import admin
from django.core.cache import cache
from django.db.models import Count

from ..models import Article, Author, Byline, TaggedArticle


class DeskStatusFilter(admin.SimpleListFilter):
    """Status as the desk thinks of it: a published article is Scheduled or Live."""

    title = "status"
    parameter_name = "desk_status"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("live", "Live"),
            ("expired", "Expired"),
            ("withdrawn", "Withdrawn"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "live":
            return queryset & Article.objects.live()
        if value == "scheduled":
            return queryset & Article.objects.scheduled()
        if value == "expired":
            return queryset & Article.objects.expired()
        if value in ("draft", "review", "withdrawn"):
            return queryset.filter(status=value)
        return queryset


class AuthorFilter(admin.SimpleListFilter):
    """The authors with the most recent bylines, by name; any other author works as
    ?author=<id> too (and is then listed). Hundreds of links made the sidebar unreadable
    and cost a third of the change list's time."""

    title = "author"
    parameter_name = "author"
    SHOWN = 25

    def lookups(self, request, model_admin):
        choices = cache.get_or_set("desk:author-filter", self._busy_authors, 300)
        value = self.value()
        if value and value.isdecimal() and value not in dict(choices):
            chosen = Author.objects.filter(pk=int(value)).values_list("pk", "name").first()
            if chosen:
                choices = [*choices, (str(chosen[0]), chosen[1])]
        return choices

    @classmethod
    def _busy_authors(cls):
        # Counted over recent bylines only, so the sidebar costs the same at any size.
        recent = Byline.objects.order_by("-id").values("pk")[:2000]
        busiest = (
            Byline.objects.filter(pk__in=recent)
            .values_list("author_id", "author__name")
            .annotate(uses=Count("id"))
            .order_by("-uses", "author__name")[: cls.SHOWN]
        )
        return sorted(((str(pk), name) for pk, name, _uses in busiest), key=lambda c: c[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdecimal():
            return queryset.filter(bylines__author_id=int(self.value()))
        return queryset


class TagFilter(admin.SimpleListFilter):
    """The most used tags; any other tag works as ?tag=<slug> too."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return cache.get_or_set("desk:tag-filter", self._popular_tags, 300)

    @staticmethod
    def _popular_tags():
        # Counted over recent taggings only, so the sidebar costs the same at any size.
        recent = TaggedArticle.objects.order_by("-id").values("pk")[:2000]
        tags = (
            TaggedArticle.objects.filter(pk__in=recent)
            .values_list("tag__slug", "tag__name")
            .annotate(uses=Count("id"))
            .order_by("-uses", "tag__name")[:25]
        )
        return [(slug, name) for slug, name, _uses in tags]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__slug=self.value())
        return queryset
