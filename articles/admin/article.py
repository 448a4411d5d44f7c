"""The editor's desk: the article's change list and change form."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, Prefetch, URLField
from django.db.models.expressions import RawSQL
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .. import revisions, workflow
from ..forms import ArticleAdminForm
from ..models import (
    Article,
    ArticleEvent,
    Author,
    Autosave,
    Byline,
    Correction,
    Notification,
    RelatedLink,
    Revision,
)
from ..richtext import sanitize_body
from .autosave import AutosaveDesk
from .changelist import CappedCountPaginator, DeskChangeList, short_datetime
from .filters import AuthorFilter, DeskStatusFilter, TagFilter
from .labels import LabelledTabularInline, NamedDateTimeMixin
from .live import LiveDesk
from .notes import EditorialNotes
from .presence import PresenceDesk
from .views import ArticleViews, desk_people


class BylineInline(LabelledTabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]
    verbose_name = "byline"
    verbose_name_plural = "Bylines (first is shown first)"

    def _article_editable(self, request, obj):
        return obj is None or workflow.can_edit(request.user, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._article_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._article_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._article_editable(request, obj)


class CorrectionInline(NamedDateTimeMixin, admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "text", "created_at"]
    verbose_name_plural = "Corrections (shown to readers on the article and the corrections page)"


class RelatedLinkInline(LabelledTabularInline):
    model = RelatedLink
    extra = 0
    fields = ["position", "target", "url", "title"]
    autocomplete_fields = ["target"]
    fk_name = "article"
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    verbose_name = "related link"
    verbose_name_plural = (
        "Related links (shown first, in position order; a story of ours shows while it is live)"
    )


@admin.register(Article)
class ArticleAdmin(
    AutosaveDesk,
    NamedDateTimeMixin,
    EditorialNotes,
    PresenceDesk,
    LiveDesk,
    ArticleViews,
    admin.ModelAdmin,
):
    form = ArticleAdminForm
    change_form_template = "admin/articles/article/change_form.html"
    change_list_template = "admin/articles/article/change_list.html"
    list_display = [
        "headline",
        "status_badge",
        "section",
        "byline_names",
        "published",
        "updated",
    ]
    ordering = ["-updated_at", "-id"]
    list_filter = [
        DeskStatusFilter,
        "section",
        AuthorFilter,
        TagFilter,
        "featured",
        "published_at",
    ]
    list_select_related = ["section"]
    list_per_page = 50
    search_fields = ["headline", "standfirst", "body"]
    search_help_text = "Search headlines, standfirsts and body text."
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["section", "lead_image", "series"]
    inlines = [BylineInline, RelatedLinkInline, CorrectionInline]
    show_full_result_count = False
    paginator = CappedCountPaginator
    # Publishing and withdrawing in bulk ask first, on a page listing the stories:
    # nothing reaches readers from a mis-ticked box.
    actions = ["submit_for_review", "publish_selected", "withdraw_selected"]
    save_on_top = False
    fieldsets = [
        (None, {"fields": ["desk_status_text", "headline", "slug", "standfirst", "body"]}),
        (None, {"fields": ["length"]}),
        ("Section and tags", {"fields": ["section", "tags", "featured"]}),
        ("Lead image", {"fields": ["lead_image", "lead_image_caption", "lead_image_credit"]}),
        ("Series", {"fields": ["series", "series_position"], "classes": ["collapse"]}),
        ("Planning", {"fields": ["assignee", "due_at"]}),
        (
            "Live coverage",
            {
                "fields": ["kind", "coverage_ends_at"],
                "description": "A live article shows its updates, newest first; post them "
                "from the form at the top of this page once it is saved as live coverage.",
            },
        ),
        (
            "Publication",
            {
                "fields": [
                    "status",
                    "published_at",
                    "expires_at",
                    "comments_enabled",
                    "comments_close_at",
                ],
                "description": "Use the buttons at the bottom of the page to move the "
                "article through the desk: Submit for review → Publish now or Schedule.",
            },
        ),
        ("Search engines", {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]}),
        (None, {"fields": ["loaded_version", "checklist_seen"], "classes": ["hidden"]}),
    ]

    class Media:
        css = {"all": ["css/admin-desk.css"]}
        js = [
            "js/admin-article.js",
            "js/admin-tags.js",
            "js/admin-presence.js",
            "js/admin-autosave.js",
            "js/admin-notes.js",
        ]

    def view_on_site(self, obj):
        # Only a live article has a public page; the others have "Preview".
        return obj.get_absolute_url() if obj.is_live else None

    # -- Change list --------------------------------------------------------

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )

    def action_checkbox(self, obj):
        # Django's own renders a widget template for each row (a third of the page's
        # time at 100 rows); this is the same markup, built directly.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )

    def get_changelist(self, request, **kwargs):
        return DeskChangeList

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        key, label = obj.desk_status
        if key == "scheduled":
            label = f"Scheduled for {short_datetime(obj.published_at)}"
        badge = format_html('<span class="desk-badge desk-badge--{}">{}</span>', key, label)
        return format_html("{}{}", badge, self.presence_marker(obj))

    @admin.display(description="Published", ordering="published_at")
    def published(self, obj):
        if obj.published_at is None:
            return "—"
        return short_datetime(obj.published_at)

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj):
        return short_datetime(obj.updated_at)

    @admin.display(description="Bylines")
    def byline_names(self, obj):
        return ", ".join(author.name for author in obj.byline_authors) or "—"

    # -- Bulk actions ---------------------------------------------------------

    def has_submit_permission(self, request):
        return request.user.has_perm(workflow.CHANGE)

    def _bulk(self, request, queryset, method, done):
        moved, refused = 0, []
        for article in queryset:
            try:
                getattr(article, method)(by=request.user)
            except (PermissionDenied, ValidationError):
                refused.append(article.headline)
                continue
            revisions.record(article, request.user)
            moved += 1
        if moved:
            self.message_user(request, f"{moved} {done}.", messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                "Left as they were (not allowed in their state): " + "; ".join(refused),
                messages.WARNING,
            )

    @admin.action(permissions=["submit"], description="Submit selected drafts for review")
    def submit_for_review(self, request, queryset):
        self._bulk(request, queryset, "submit", "article(s) sent for review")

    def has_publish_permission(self, request):
        return workflow.can_publish(request.user)

    @admin.action(permissions=["publish"], description="Publish selected stories now…")
    def publish_selected(self, request, queryset):
        return self._confirmed(request, queryset, "publish", "article(s) published")

    @admin.action(permissions=["publish"], description="Withdraw selected stories…")
    def withdraw_selected(self, request, queryset):
        return self._confirmed(request, queryset, "withdraw", "article(s) withdrawn")

    BULK_LIMIT = 200

    def _confirmed(self, request, queryset, action, done):
        """What reaches readers is done only from a page that lists the stories, and
        says of each whether it can be moved, once the editor confirms there."""
        stories = list(queryset.defer("body", "body_html", "page_html")[: self.BULK_LIMIT + 1])
        if len(stories) > self.BULK_LIMIT:
            self.message_user(
                request,
                f"Choose at most {self.BULK_LIMIT} stories at a time.",
                messages.WARNING,
            )
            return None
        if request.POST.get("confirm") == "yes":
            return self._bulk(request, queryset, action, done)
        rows = [
            (
                story,
                workflow.refusal(request.user, story, action),
                story.missing_for_publication() if action == "publish" else [],
            )
            for story in stories
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": "Are you sure?",
            "opts": self.opts,
            "transition": workflow.TRANSITIONS[action],
            "action_name": request.POST.get("action", ""),
            "rows": rows,
            "movable": [story for story, refused, _missing in rows if refused is None],
            "checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/articles/article/bulk_confirm.html", context)

    def get_search_results(self, request, queryset, search_term):
        """On PostgreSQL, search the stored, GIN-indexed search vector (every article,
        whatever its status) instead of three LIKE scans over the archive."""
        if connection.vendor != "postgresql" or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        from ..search import _safe_config

        matches = RawSQL(  # noqa: S611 — the config name is validated; the term is a parameter.
            f"search_vector @@ websearch_to_tsquery('{_safe_config()}', %s)",
            [search_term],
            output_field=BooleanField(),
        )
        return queryset.filter(matches), False

    # -- Change form --------------------------------------------------------

    @admin.display(description="Where it stands")
    def desk_status_text(self, obj):
        if obj is None or obj.pk is None:
            return self.status_badge(Article(status=Article.Status.DRAFT))
        return self.status_badge(obj)

    @admin.display(description="Length")
    def length(self, obj):
        words = obj.word_count if obj and obj.pk else 0
        minutes = obj.reading_minutes if obj and obj.pk else 0
        return format_html(
            "<span data-word-count>{} words, about {} min to read</span>", words, minutes
        )

    @admin.display(description="Body")
    def body_preview(self, obj):
        # Sanitised again on display, for rows written without save() (bulk imports).
        return format_html(
            '<div class="desk-body-preview">{}</div>', mark_safe(sanitize_body(obj.body))
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # Read-only: show the story as text, not its HTML source.
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        "body_preview" if field == "body" else field for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = ["desk_status_text", "length", "status", "body_preview"]
        if not workflow.can_publish(request.user):
            # Reporters never set when (or whether) an article goes out.
            fields += ["published_at", "expires_at", "featured", "assignee", "due_at"]
        return fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or workflow.can_edit(request.user, obj)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "assignee":
            kwargs["queryset"] = desk_people()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        action = request.POST.get("_workflow", "") if request.method == "POST" else ""
        return type(form.__name__, (form,), {"user": request.user, "workflow_action": action})

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        elif not obj.revisions.exists():
            # Articles made outside the admin (imports, the demo) have no history yet:
            # keep the version this save replaces.
            revisions.record(Article.objects.get(pk=obj.pk), None)
        action, user = form.workflow_action, request.user
        old_address = None
        if change and ({"slug", "published_at"} & set(form.changed_data)):
            stored = Article.objects.get(pk=obj.pk)
            old_address = stored.get_absolute_url() if stored.is_live else None
        try:
            if action == "schedule":
                obj.schedule(obj.published_at, by=user)
            elif action:
                getattr(obj, action)(by=user)
            else:
                obj.save()
        except ValidationError as exc:
            # The form checks the same rules first; this is a last line of defence.
            raise PermissionDenied(" ".join(exc.messages)) from exc
        if old_address and old_address != obj.get_absolute_url():
            messages.info(
                request,
                f"The address changed; the old address, {old_address}, now "
                "redirects readers and search engines to the new one.",
            )
        if "assignee" in form.changed_data:
            who = obj.assignee
            name = (who.get_full_name() or who.get_username()) if who else "nobody"
            obj.events.create(actor=user, action="assign", detail=f"To {name}")
        if action:
            # Said instead of the admin's generic "was changed successfully".
            when = short_datetime(obj.published_at) if obj.published_at else ""
            request._desk_message = workflow.TRANSITIONS[action].done.format(article=obj, when=when)

    def message_user(self, request, message, *args, **kwargs):
        message = request.__dict__.pop("_desk_message", None) or message
        super().message_user(request, message, *args, **kwargs)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        if not change and not article.bylines.exists():
            # A new story is bylined to the writer who started it, when they are an author.
            author = Author.objects.filter(user=request.user).first()
            if author is not None:
                Byline.objects.create(article=article, author=author, position=0)
        if not change:
            article.events.create(
                actor=request.user, action="create", created_at=article.created_at
            )
        revisions.record(article, request.user)
        Autosave.discard(request.user, article, added=not change)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        # The history outlives the story: each deletion is kept with its headline.
        ArticleEvent.objects.bulk_create(
            ArticleEvent(
                article=article,
                actor=request.user,
                action="delete",
                detail=f"“{article.headline}” ({article.desk_status[1]})",
            )
            for article in queryset
        )
        super().delete_queryset(request, queryset)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A story's revisions go with it; nobody may delete them one by one, which is
        # no reason to keep the story.
        perms_needed.discard(Revision._meta.verbose_name)
        # Nor may anyone delete notifications (each is its recipient's); those about the
        # story go with it.
        perms_needed.discard(Notification._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def delete_model(self, request, obj):
        self.delete_queryset(request, Article.objects.filter(pk=obj.pk))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            live_desk=self.live_desk(request, obj, context.get("live_form")),
            workflow_buttons=self.workflow_buttons(request, obj),
            can_share_preview=obj is not None and workflow.can_publish(request.user),
            share_link=request.session.pop(f"desk-share-{obj.pk}", None) if obj else None,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def workflow_buttons(self, request, obj):
        """The buttons that move this article on, for this user: (action, label, help)."""
        article = obj or Article(status=Article.Status.DRAFT)
        return [(t.action, t.label, t.help) for t in workflow.available(request.user, article)]
