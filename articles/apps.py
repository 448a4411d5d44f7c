from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import related, search

        # Derived data is made when saved: the stored search vector and the ranking of
        # related stories follow every save (and every change of an article's tags).
        post_save.connect(
            search.article_saved, sender="articles.Article", dispatch_uid="articles_search"
        )
        post_save.connect(
            related.article_saved, sender="articles.Article", dispatch_uid="articles_related"
        )
        for signal in (post_save, post_delete):
            signal.connect(
                related.tags_changed,
                sender="articles.TaggedArticle",
                dispatch_uid=f"articles_related_tags_{id(signal)}",
            )
