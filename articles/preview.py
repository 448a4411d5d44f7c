"""Previews: an unpublished article exactly as readers will see it.

Staff with access to articles preview any of them. An editor can also make a share
link for someone without an account: signed (tampering breaks it), tied to one
article and its share generation (an editor revokes every link of a story by raising
it, `Article.revoke_share_links()`), and expiring after `PREVIEW_LINK_HOURS` (48 by
default). A withdrawn story is shown to no link. Previews are never cached and never
indexed.
"""

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from . import embeds
from .models import Article

SALT = "articles.preview.share"


def share_hours():
    return getattr(settings, "PREVIEW_LINK_HOURS", 48)


def share_token(article):
    return signing.dumps(
        {"article": article.pk, "g": article.share_generation}, salt=SALT, compress=True
    )


def share_url(article):
    return reverse("articles:preview_share", kwargs={"token": share_token(article)})


def _render(request, article):
    from .views import article_context

    context = article_context(article, request, preview=True)
    context["preview"] = True
    response = render(request, "articles/article_detail.html", context)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return embeds.allow_frames(response, article.body_media.get("frames"))


@staff_member_required
def staff_preview(request, pk):
    if not request.user.has_perm("articles.view_article"):
        raise PermissionDenied
    article = get_object_or_404(
        Article.objects.select_related("section", "lead_image", "series"), pk=pk
    )
    return _render(request, article)


def shared_preview(request, token):
    try:
        data = signing.loads(token, salt=SALT, max_age=share_hours() * 3600)
    except signing.SignatureExpired as exc:
        raise Http404("This preview link has expired; ask the editor for a new one.") from exc
    except signing.BadSignature as exc:
        raise Http404("This preview link is not valid.") from exc
    article = get_object_or_404(
        Article.objects.select_related("section", "lead_image", "series"), pk=data.get("article")
    )
    # Links made before generations existed carry none: generation 0.
    if data.get("g", 0) != article.share_generation:
        raise Http404("This preview link was revoked; ask the editor for a new one.")
    if article.status == Article.Status.WITHDRAWN:
        raise Http404("This story was withdrawn.")
    return _render(request, article)
