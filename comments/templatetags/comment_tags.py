from django import template

from comments.models import Comment

register = template.Library()


def page_number(request, name="comments"):
    try:
        return int(request.GET.get(name, 1)) if request is not None else 1
    except (TypeError, ValueError):
        return 1


@register.inclusion_tag("comments/thread.html", takes_context=True)
def comment_section(context, article, counts=None):
    """The approved thread of one article, a page at a time, in a constant number
    of queries, joining each comment's stored markup (see `CommentQuerySet.thread_page`);
    `counts` when the page read them with the article."""
    request = context.get("request")
    closed = article.comments_closed_reason
    data = Comment.objects.thread_page(
        article, page_number(request), closed=bool(closed), counts=counts or None
    )
    return {"article": article, "request": request, "closed": closed, **data}
