"""Readers' side of comments: the form (uncached), posting, and reports.

Each view answers with a small fragment when comments.js asks for one
(`X-Requested-With: fetch`) and with a whole page otherwise, so everything works
without JavaScript too.
"""

import contextlib

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.models import Article
from newsroom.request_limits import limit_request_body

from . import moderation, ratelimit
from .addresses import address_hash, reporter_hash
from .forms import RELOADED, CommentForm, FlagForm
from .models import AlreadyReported, Comment
from .notifications import check_queue

NOT_LIVE = "No published article takes comments at this address."


def _wants_fragment(request):
    return request.headers.get("X-Requested-With") == "fetch"


def _respond(request, fragment, context, *, title, status=200):
    context = {**context, "fragment": fragment, "page_title": title}
    template = fragment if _wants_fragment(request) else "comments/page.html"
    return render(request, template, context, status=status)


def _message(request, article, message, status):
    return _respond(
        request,
        "comments/message.html",
        {"article": article, "message": message},
        title="Comments",
        status=status,
    )


def _open_article(request, article_id):
    """(the live article, None) when it takes comments now, or (None, the refusal)."""
    article = Article.objects.live().filter(pk=article_id).first()
    if article is None:
        return None, _message(request, None, NOT_LIVE, 404)
    closed = article.comments_closed_reason
    if closed:
        return None, _message(request, article, closed, 403)
    return article, None


def _form_response(request, article, form, *, message="", status=200):
    parent = None
    if form.is_bound:
        parent = form.cleaned_data.get("parent") if hasattr(form, "cleaned_data") else None
    else:
        parent_id = form.initial.get("parent")
        if parent_id:
            parent = Comment.objects.approved().filter(pk=parent_id, article=article).first()
    return _respond(
        request,
        "comments/form.html",
        {"article": article, "form": form, "message": message, "parent": parent},
        title=f"Comment on “{article.headline}”",
        status=status,
    )


# A form post of the longest comment, each character percent-encoded from four
# UTF-8 bytes, and room for the other fields; a report needs far less.
def max_post_bytes():
    return settings.COMMENTS_MAX_LENGTH * 12 + 8192


def max_report_bytes():
    return 8192


def _too_large(message):
    # Answered by middleware, before sessions and authentication: no request context.
    html = render_to_string("comments/message.html", {"message": message})
    return HttpResponse(html, status=413)


def _post_too_large(request, limit):
    """A post over the size limit is refused unread, and counts against the address
    as a post would: a flood of them is no cheaper than a flood of comments."""
    with contextlib.suppress(ratelimit.RateLimited):
        ratelimit.take_slot(address_hash(request))
    return _too_large(
        f"This comment is far too long to post (the most is {settings.COMMENTS_MAX_LENGTH} "
        "characters). Please shorten it.",
    )


def _report_too_large(request, limit):
    with contextlib.suppress(ratelimit.RateLimited):
        ratelimit.take_report_slot(address_hash(request))
    return _too_large("This report is too long to send. Please shorten it.")


@never_cache
@require_GET
def comment_form(request, article_id):
    article, refusal = _open_article(request, article_id)
    if refusal:
        return refusal
    initial = {}
    with contextlib.suppress(KeyError, ValueError):
        initial["parent"] = int(request.GET["parent"])
    form = CommentForm(article=article, user=request.user, initial=initial)
    return _form_response(request, article, form)


@limit_request_body(max_post_bytes, refused=_post_too_large)
@never_cache
@require_POST
def post_comment(request, article_id):
    article, refusal = _open_article(request, article_id)
    if refusal:
        return refusal
    form = CommentForm(request.POST, article=article, user=request.user)
    ip_hash = address_hash(request)
    try:
        slot = ratelimit.take_slot(ip_hash)
    except ratelimit.RateLimited as exc:
        form.is_valid()
        return _form_response(request, article, form, message=str(exc), status=429)
    if not form.is_valid():
        # Honest mistakes give their place in the rate limit back; an over-long
        # body is no mistake a browser makes (the field has a maxlength).
        if not form.has_error("body", "too_long"):
            slot.release()
        reload = form.needs_reload()
        if reload:
            return _form_response(request, article, form.reloaded(), message=reload, status=400)
        return _form_response(
            request, article, form, message="Please correct the errors below.", status=400
        )
    comment = form.get_comment(ip_hash=ip_hash, user_agent=request.headers.get("User-Agent", ""))
    moderation.run(comment)
    try:
        with transaction.atomic():
            comment.record_posted()
            transaction.on_commit(check_queue, robust=True)
    except IntegrityError:
        # Two posts with one form at the same moment: the first one stored spent it.
        slot.release()
        if not Comment.objects.filter(form_nonce=comment.form_nonce).exists():
            raise
        message = RELOADED["replayed"]
        return _form_response(request, article, form.reloaded(), message=message, status=400)
    return _respond(
        request,
        "comments/posted.html",
        {"article": article, "comment": comment},
        title="Thank you for your comment",
    )


def _reportable(comment_id):
    return (
        Comment.objects.approved()
        .filter(pk=comment_id, article__in=Article.objects.live())
        .select_related("article")
        .first()
    )


@limit_request_body(max_report_bytes, refused=_report_too_large)
@never_cache
@require_http_methods(["GET", "POST"])
def flag_comment(request, comment_id):
    """GET: the report form (so the cached article page needs no token);
    POST: the report itself."""
    comment = _reportable(comment_id)
    if comment is None:
        return _message(request, None, "This comment cannot be reported.", 404)
    form = FlagForm(request.POST or None)
    context = {"article": comment.article, "comment": comment, "form": form}
    title = "Report a comment"
    if request.method == "GET":
        return _respond(request, "comments/flag.html", context, title=title)
    try:
        slot = ratelimit.take_report_slot(address_hash(request))
    except ratelimit.RateLimited as exc:
        return _message(request, comment.article, str(exc), 429)
    if not form.is_valid():
        slot.release()
        return _respond(request, "comments/flag.html", context, title=title, status=400)
    try:
        comment.flag(
            reason=form.reason_text(),
            reporter_hash=reporter_hash(request),
            reporter=request.user,
        )
    except AlreadyReported as exc:
        slot.release()
        return _message(request, comment.article, str(exc), 409)
    return _message(
        request,
        comment.article,
        "Thank you. A moderator will look at this comment.",
        200,
    )
