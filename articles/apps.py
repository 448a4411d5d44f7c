from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

        from . import derived, images, search

        # Derived data is made when saved: the stored search vector follows every save;
        # related stories and structured data follow what they show (articles/derived.py).
        post_save.connect(
            search.article_saved, sender="articles.Article", dispatch_uid="articles_search"
        )
        receivers = [
            (post_save, "articles.Article", derived.article_saved),
            (post_save, "articles.TaggedArticle", derived.tags_changed),
            (post_delete, "articles.TaggedArticle", derived.tags_changed),
            (post_save, "articles.Byline", derived.shown_part_changed),
            (post_delete, "articles.Byline", derived.shown_part_changed),
            (post_save, "articles.Correction", derived.shown_part_changed),
            (post_save, "articles.LiveUpdate", derived.live_update_changed),
            (post_delete, "articles.LiveUpdate", derived.live_update_changed),
            (post_delete, "articles.Correction", derived.shown_part_changed),
            (post_save, "articles.RelatedLink", derived.shown_part_changed),
            (post_delete, "articles.RelatedLink", derived.shown_part_changed),
            (post_save, "articles.Section", derived.section_changed),
            (post_save, "articles.Author", derived.author_changed),
            (post_save, "taggit.Tag", derived.tag_changed),
            (pre_delete, "taggit.Tag", derived.tag_changed),
            (post_save, "articles.Image", derived.image_changed),
            (pre_delete, "articles.Image", derived.image_changed),
            (post_save, "articles.Series", derived.series_changed),
            (pre_delete, "articles.Series", derived.series_changed),
        ]
        post_delete.connect(
            images.image_deleted, sender="articles.Image", dispatch_uid="articles_image_files"
        )
        from . import notifications

        post_save.connect(
            notifications.event_saved,
            sender="articles.ArticleEvent",
            dispatch_uid="articles_notifications",
        )
        m2m_changed.connect(
            notifications.note_mentions_added,
            sender="articles.EditorialNote_mentions",
            dispatch_uid="articles_note_mentions",
        )
        for signal, sender, receiver in receivers:
            uid = f"derived-{receiver.__name__}-{sender}-{id(signal)}"
            signal.connect(receiver, sender=sender, dispatch_uid=uid)
