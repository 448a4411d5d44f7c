"""The desk's JSON endpoints behind the editor's story nodes (static/js/prose-story.js):
find and upload library pictures, and resolve an embed's address.

Mounted in the article admin (ArticleAdmin.get_urls), so the admin's login, staff
check and CSRF protection apply; each view checks its own permission too.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import embeds, workflow
from .forms import ImageAdminForm
from .models import Embed, Image

RESULTS = 24
CARD_FIELDS = ("id", "file", "alt_text", "caption", "credit", "width", "height", "renditions")


def image_card(image):
    return {
        "id": image.pk,
        "alt": image.alt_text,
        "caption": image.caption,
        "credit": image.credit,
        "thumb": image.rendition_url("w320"),
        "width": image.width,
        "height": image.height,
    }


def embed_card(embed):
    return {
        "url": embed.url,
        "provider": embed.provider,
        "title": embed.title,
        "resolved": embed.is_resolved,
        "thumb": embed.thumbnail.url if embed.thumbnail else "",
    }


def _require(request, *permissions):
    if not any(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


@require_GET
def images(request):
    """Library pictures by id (`ids=1,2`) or matching `q` in alt text, caption or credit
    (newest first); with neither, the newest."""
    _require(request, "articles.view_image")
    found = Image.objects.only(*CARD_FIELDS, "focal_x", "focal_y").order_by("-created_at", "-id")
    ids = [pk for pk in request.GET.get("ids", "").split(",") if pk.isdecimal()]
    words = " ".join(request.GET.get("q", "").split())[:100]
    if ids:
        found = found.filter(pk__in=ids[:RESULTS])
    elif words:
        found = found.filter(
            Q(alt_text__icontains=words) | Q(caption__icontains=words) | Q(credit__icontains=words)
        )
    return JsonResponse({"results": [image_card(image) for image in found[:RESULTS]]})


@require_POST
def upload(request):
    """A new library picture, checked as the image form checks it."""
    _require(request, "articles.add_image")
    data = request.POST.copy()
    data.setdefault("focal_x", "0.5")
    data.setdefault("focal_y", "0.5")
    form = ImageAdminForm(data, request.FILES)
    if not form.is_valid():
        problems = [message for errors in form.errors.values() for message in errors]
        return JsonResponse({"error": " ".join(problems)}, status=400)
    image = form.save(commit=False)
    image.uploaded_by = request.user
    image.save()
    return JsonResponse(image_card(image), status=201)


@require_http_methods(["GET", "POST"])
def embed(request):
    """POST: resolve an embed's address now (the editor shows what readers will get); an
    address of no allowed provider is a 400 with the reason. GET: what is stored about
    `url`, for a story opened again (no provider is asked)."""
    _require(request, workflow.ADD, workflow.CHANGE)
    if request.method == "GET":
        found = Embed.objects.filter(url=request.GET.get("url", "")).first()
        if found is None:
            return JsonResponse(
                {"error": "Not resolved yet; it will be when you save."}, status=404
            )
        return JsonResponse(embed_card(found))
    try:
        found = embeds.resolve(request.POST.get("url", ""))
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse(embed_card(found))
