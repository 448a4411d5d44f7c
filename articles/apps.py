from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from django.db.models.signals import post_save

        from . import search

        # Derived data is made when saved: the stored search vector follows every save.
        post_save.connect(
            search.article_saved, sender="articles.Article", dispatch_uid="articles_search"
        )
