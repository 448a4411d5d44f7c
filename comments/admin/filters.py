"""The queue's filters: status (waiting by default), reason, reports, section, article."""

from django.contrib import admin
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef

from articles.models import Article, Section

from ..models import Comment, CommentFlag
from ..moderation import REASON_LABELS


class StatusFilter(admin.SimpleListFilter):
    """Waiting comments unless the moderator asks for another status."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("pending", "Waiting (pending)"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("spam", "Spam"),
            ("all", "All"),
        ]

    def value(self):
        return super().value() or "pending"

    def queryset(self, request, queryset):
        value = self.value()
        if value in Comment.Status.values:
            return queryset.filter(status=value)
        return queryset

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ReasonFilter(admin.SimpleListFilter):
    title = "auto-moderation reason"
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in REASON_LABELS.items() if code != "trusted"]

    def queryset(self, request, queryset):
        label = REASON_LABELS.get(self.value())
        return queryset.filter(moderation_reason__contains=label) if label else queryset


class ReportedFilter(admin.SimpleListFilter):
    title = "reported by readers"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", "Reported"), ("no", "Not reported")]

    def queryset(self, request, queryset):
        flagged = Exists(CommentFlag.objects.filter(comment=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(flagged)
        if self.value() == "no":
            return queryset.filter(~flagged)
        return queryset


class SectionFilter(admin.SimpleListFilter):
    title = "section"
    parameter_name = "section"

    def lookups(self, request, model_admin):
        return [(str(pk), name) for pk, name in Section.objects.values_list("pk", "name")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdecimal():
            return queryset.filter(article__section_id=self.value())
        return queryset


# Which articles have the most waiting comments is counted again at most every 30 s:
# counting the whole queue by article on every reload of the queue page took a quarter
# of a second with a large backlog. Whether each is still live is read every time.
BUSIEST_SECONDS = 30


def _busiest():
    return list(
        Comment.objects.in_moderation()
        .filter(article__in=Article.objects.live())
        .order_by()
        .values("article")
        .annotate(n=Count("*"))
        .order_by("-n")
        .values_list("article", flat=True)[:15]
    )


class ArticleFilter(admin.SimpleListFilter):
    """The live articles with the most waiting comments; any live article's id works
    in the URL (the headline in each queue row links to it). Only live articles are
    named: a moderator never reads the headline of a draft, a scheduled or a
    withdrawn story here, whatever id they try."""

    title = "article"
    parameter_name = "article"

    def lookups(self, request, model_admin):
        live = Article.objects.live()
        busiest = cache.get_or_set("comments:queue-busiest", _busiest, BUSIEST_SECONDS)
        headlines = dict(live.filter(pk__in=busiest).values_list("pk", "headline"))
        lookups = [(str(pk), headlines[pk][:60]) for pk in busiest if pk in headlines]
        value = self.value()
        if value and value.isdecimal() and value not in dict(lookups):
            headline = live.filter(pk=value).values_list("headline", flat=True).first()
            if headline:
                lookups.append((value, headline[:60]))
        return lookups

    def queryset(self, request, queryset):
        if self.value() and self.value().isdecimal():
            return queryset.filter(article_id=self.value())
        return queryset
