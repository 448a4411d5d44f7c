import datetime

from django.http import Http404, HttpResponseGone
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.generic import DetailView, ListView
from taggit.models import Tag

from .models import Article, Author, Section


class LiveArticlesMixin:
    """Every reader-facing list starts from the one visibility rule."""

    paginate_by = 20

    def live_articles(self):
        return (
            Article.objects.live()
            .select_related("section", "lead_image")
            .prefetch_related("bylines__author")
        )


class HomeView(LiveArticlesMixin, ListView):
    template_name = "articles/home.html"

    def get_queryset(self):
        return self.live_articles()


class SectionView(LiveArticlesMixin, ListView):
    template_name = "articles/section.html"

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return self.live_articles().filter(section=self.section)

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class TagView(LiveArticlesMixin, ListView):
    template_name = "articles/tag.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return self.live_articles().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(LiveArticlesMixin, ListView):
    template_name = "articles/author.html"

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return self.live_articles().filter(authors=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class SearchView(LiveArticlesMixin, ListView):
    template_name = "articles/search.html"

    def get_queryset(self):
        self.query = self.request.GET.get("q", "").strip()
        if not self.query:
            return Article.objects.none()
        return self.live_articles().filter(headline__icontains=self.query)

    def get_context_data(self, **kwargs):
        return super().get_context_data(query=self.query, **kwargs)


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # Old addresses are answered by SlugRedirectFallbackMiddleware.
            if Article.objects.filter(
                slug=self.kwargs["slug"], status=Article.Status.WITHDRAWN
            ).exists():
                return HttpResponseGone("This article has been withdrawn.")
            raise

    def get_object(self, queryset=None):
        try:
            day = datetime.date(self.kwargs["year"], self.kwargs["month"], self.kwargs["day"])
        except ValueError as exc:
            raise Http404("No such date.") from exc
        article = get_object_or_404(
            Article.objects.live().select_related("section", "lead_image"),
            slug=self.kwargs["slug"],
        )
        if timezone.localtime(article.published_at).date() != day:
            raise Http404("No article at this address.")
        return article
