from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = "Comments"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import thread
        from .signals import comment_moderated

        # The first page of each thread is kept whole with its article (comments/thread.py).
        post_save.connect(thread.comment_saved, sender="comments.Comment", dispatch_uid="thread")
        post_delete.connect(
            thread.comment_deleted, sender="comments.Comment", dispatch_uid="thread"
        )
        comment_moderated.connect(thread.comment_moderated, dispatch_uid="thread")
