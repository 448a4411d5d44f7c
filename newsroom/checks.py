"""System checks for a deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register
from django.core.files.storage import FileSystemStorage, default_storage


@register(Tags.security, deploy=True)
def media_are_served(app_configs, **kwargs):
    """Uploaded images on the local disk need someone to serve them at MEDIA_URL: the web
    server in front, Django itself (SERVE_MEDIA), or object storage instead of the disk."""
    if settings.DEBUG or settings.SERVE_MEDIA or settings.MEDIA_SERVED_BY_WEB_SERVER:
        return []
    if not isinstance(default_storage, FileSystemStorage):
        return []  # object storage serves its own URLs
    if settings.MEDIA_URL.startswith(("http://", "https://", "//")):
        return []  # a media host of its own
    return [
        Warning(
            f"Uploaded images would not be served: they are stored in {settings.MEDIA_ROOT} "
            f"and nothing answers at {settings.MEDIA_URL} (every picture is a 404).",
            hint="Serve MEDIA_ROOT at MEDIA_URL from the web server in front (docs/deploy/ "
            "has an nginx and a Caddy example) and set MEDIA_SERVED_BY_WEB_SERVER=1; or "
            "put media on object storage (AWS_STORAGE_BUCKET_NAME); or set SERVE_MEDIA=1 "
            "to let Django serve them (simplest, but each picture then costs a worker). "
            "See docs/operations.md, 'Serving uploaded images'.",
            id="newsroom.W001",
        )
    ]
