# Scaffolding so the URLconf resolves; the comments issue replaces these views.
from django.http import Http404
from django.views.decorators.http import require_GET, require_POST


@require_GET
def comment_form(request, article_id):
    raise Http404("Comments are not available yet.")


@require_POST
def post_comment(request, article_id):
    raise Http404("Comments are not available yet.")


@require_POST
def flag_comment(request, comment_id):
    raise Http404("Comments are not available yet.")
