from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import search

        # Derived data is made when saved: the stored search vector follows every save.
        post_save.connect(
            search.article_saved, sender="articles.Article", dispatch_uid="articles_search"
        )
        # Sections, authors and tags show on every page that lists stories (the section
        # menu, bylines, topic pages): a change to one ends the cached pages and fragments.
        for sender in ("articles.Section", "articles.Author", "taggit.Tag"):
            for signal in (post_save, post_delete):
                signal.connect(
                    label_changed, sender=sender, dispatch_uid=f"{sender}-{signal}-cache"
                )


def label_changed(sender, instance, created=False, **kwargs):
    from newsroom.caching import content_changed

    label = sender._meta.label_lower
    if created and label != "articles.section":
        return  # a new author or tag is on no page until an article names it
    if label == "articles.section":
        content_changed(section_ids=[instance.pk])
    elif label == "taggit.tag":
        content_changed(tag_slugs=[instance.slug])
    else:
        content_changed()
