from django.urls import path, register_converter

from . import feeds, live, preview, views


class FourDigits:
    """Date parts with their leading zeros, so each article has exactly one address."""

    regex = "[0-9]{4}"
    digits = 4

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):0{self.digits}d}"


class TwoDigits(FourDigits):
    regex = "[0-9]{2}"
    digits = 2


register_converter(FourDigits, "yyyy")
register_converter(TwoDigits, "dd")

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/", views.article_detail, name="detail"),
    path(
        "<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/updates/",
        live.live_updates,
        name="live_updates",
    ),
    path(
        "<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/updates/feed/",
        feeds.LiveUpdatesFeed(),
        name="feed_live_updates",
    ),
    path(
        "<yyyy:year>/<dd:month>/<dd:day>/<slug:slug>/updates/feed/atom/",
        feeds.LiveUpdatesAtomFeed(),
        name="feed_live_updates_atom",
    ),
    path("section/<slug:slug>/", views.SectionView.as_view(), name="section"),
    path("tag/<slug:slug>/", views.TagView.as_view(), name="tag"),
    path("author/<slug:slug>/", views.AuthorView.as_view(), name="author"),
    path("series/<slug:slug>/", views.SeriesView.as_view(), name="series"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("corrections/", views.CorrectionsView.as_view(), name="corrections"),
    path("preview/<int:pk>/", preview.staff_preview, name="preview"),
    path("preview/share/<str:token>/", preview.shared_preview, name="preview_share"),
    # Feeds: RSS 2.0, with Atom beside each at .../atom/.
    path("feeds/latest/", feeds.LatestFeed(), name="feed_latest"),
    path("feeds/latest/atom/", feeds.LatestAtomFeed(), name="feed_latest_atom"),
    path("feeds/section/<slug:slug>/", feeds.SectionFeed(), name="feed_section"),
    path("feeds/section/<slug:slug>/atom/", feeds.SectionAtomFeed(), name="feed_section_atom"),
    path("feeds/tag/<slug:slug>/", feeds.TagFeed(), name="feed_tag"),
    path("feeds/tag/<slug:slug>/atom/", feeds.TagAtomFeed(), name="feed_tag_atom"),
    path("feeds/author/<slug:slug>/", feeds.AuthorFeed(), name="feed_author"),
    path("feeds/author/<slug:slug>/atom/", feeds.AuthorAtomFeed(), name="feed_author_atom"),
    path("feeds/series/<slug:slug>/", feeds.SeriesFeed(), name="feed_series"),
    path("feeds/series/<slug:slug>/atom/", feeds.SeriesAtomFeed(), name="feed_series_atom"),
    path("feeds/corrections/", feeds.CorrectionsFeed(), name="feed_corrections"),
    path("feeds/corrections/atom/", feeds.CorrectionsAtomFeed(), name="feed_corrections_atom"),
]
