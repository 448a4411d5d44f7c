"""Readers' side of comments: the form (uncached), posting, and reports.

Each view answers with a small fragment when comments.js asks for one
(`X-Requested-With: fetch`) and with a whole page otherwise, so everything works
without JavaScript too.
"""

import contextlib

from django.db import transaction
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from articles.models import Article
from newsroom.net import client_ip

from . import moderation, ratelimit
from .addresses import address_hash
from .forms import CommentForm, ExpiredForm, FlagForm, form_age, form_token
from .models import AlreadyReported, Comment, keyed_hash
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


def _live_article(article_id):
    return Article.objects.live().filter(pk=article_id).first()


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


@never_cache
@require_GET
def comment_form(request, article_id):
    article = _live_article(article_id)
    if article is None:
        return _message(request, None, NOT_LIVE, 404)
    closed = article.comments_closed_reason
    if closed:
        return _message(request, article, closed, 403)
    initial = {}
    with contextlib.suppress(KeyError, ValueError):
        initial["parent"] = int(request.GET["parent"])
    form = CommentForm(article=article, user=request.user, initial=initial)
    return _form_response(request, article, form)


def _fresh_token_form(request, article):
    data = request.POST.copy()
    data["token"] = form_token(article.pk)
    return CommentForm(data, article=article, user=request.user)


@never_cache
@require_POST
def post_comment(request, article_id):
    article = _live_article(article_id)
    if article is None:
        return _message(request, None, NOT_LIVE, 404)
    form = CommentForm(request.POST, article=article, user=request.user)
    ip_hash = address_hash(request)
    try:
        slot = ratelimit.take_slot(ip_hash)
    except ratelimit.RateLimited as exc:
        form.is_valid()
        return _form_response(request, article, form, message=str(exc), status=429)
    stored = False
    try:
        response, stored = _store_comment(request, article, form, ip_hash)
    finally:
        if not stored:
            slot.release()
    return response


def _store_comment(request, article, form, ip_hash):
    """(response, whether a comment was stored) for a post within the rate limit."""
    closed = article.comments_closed_reason
    if closed:
        return _message(request, article, closed, 403), False
    if not form.is_valid():
        return _form_response(
            request, article, form, message="Please correct the errors below.", status=400
        ), False
    data = form.cleaned_data
    try:
        age = form_age(data["token"], article.pk)
    except ExpiredForm:
        form = _fresh_token_form(request, article)
        form.is_valid()
        return _form_response(
            request,
            article,
            form,
            message="The form had been open too long. Your text is kept: please post again.",
            status=400,
        ), False
    user = request.user if request.user.is_authenticated else None
    submission = moderation.Submission(
        article=article,
        body=data["body"],
        name=data["name"],
        email=data["email"],
        parent=data["parent"],
        user=user,
        ip_hash=ip_hash,
        honeypot=data["website"],
        form_age=age,
    )
    status, reasons = moderation.run(submission)
    comment = Comment(
        article=article,
        parent=data["parent"],
        user=user,
        name=data["name"].strip(),
        email=data["email"],
        body=data["body"],
        status=status,
        moderation_reason="\n".join(reasons),
        ip_hash=ip_hash,
        user_agent=request.headers.get("User-Agent", "")[:500],
    )
    with transaction.atomic():
        comment.record_posted()
        transaction.on_commit(check_queue, robust=True)
    response = _respond(
        request,
        "comments/posted.html",
        {"article": article, "comment": comment},
        title="Thank you for your comment",
    )
    return response, True


def _reportable(comment_id):
    return (
        Comment.objects.approved()
        .filter(pk=comment_id, article__in=Article.objects.live())
        .select_related("article")
        .first()
    )


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
    who = f"user:{request.user.pk}" if request.user.is_authenticated else f"ip:{client_ip(request)}"
    try:
        comment.flag(
            reason=form.reason_text(),
            reporter_hash=keyed_hash("reporter", who),
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
