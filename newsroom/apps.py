from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        from . import checks, invalidation, webhooks  # noqa: F401  (checks registers the deploy checks)

        # Models announce their changes; the caches, the CDN and the webhooks listen.
        invalidation.connect()
        webhooks.connect()
