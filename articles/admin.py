"""The editor's desk: the admin is where the newsroom works all day."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, Count, Prefetch, URLField
from django.db.models.expressions import RawSQL
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from taggit.models import Tag

from newsroom.admin import ReadOnlyAdminMixin

from . import body, editor, preview, revisions, workflow
from .forms import WORKFLOW_ACTIONS, ArticleAdminForm, ImageAdminForm
from .models import (
    Article,
    Author,
    Byline,
    Correction,
    Embed,
    Image,
    RelatedLink,
    Revision,
    Section,
    Series,
    SlugRedirect,
    TaggedArticle,
)
from .richtext import sanitize_body


def short_datetime(value):
    """'25 Nov, 09:30' this year, '25 Nov 2025, 09:30' otherwise.

    What date_format(value, "j M, H:i") / "j M Y, H:i" gives, built directly: the change
    list shows three dates a row and date_format's per-character parsing cost ~1 ms each.
    """
    value = timezone.localtime(value)
    day = f"{value.day} {MONTHS_3[value.month].title()}"
    if value.year != timezone.localtime().year:
        day = f"{day} {value.year:04d}"
    return f"{day}, {value.hour:02d}:{value.minute:02d}"


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "job_title", "email", "user"]
    search_fields = ["name", "email"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["user"]


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["thumbnail", "alt_text", "credit", "size", "created_at"]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    date_hierarchy = "created_at"
    readonly_fields = ["focal_point_picker", "size", "rendition_list"]
    fieldsets = [
        (None, {"fields": ["file", "alt_text", "caption", "credit"]}),
        (
            "Focal point",
            {
                "fields": ["focal_point_picker", "focal_x", "focal_y"],
                "description": "Click the part of the picture that must stay in every crop "
                "(a face, the subject). The numbers below are the same point: 0 is the "
                "left or top edge, 1 the right or bottom.",
            },
        ),
        ("Renditions", {"fields": ["size", "rendition_list"], "classes": ["collapse"]}),
    ]

    class Media:
        css = {"all": ["css/admin-desk.css"]}
        js = ["js/admin-focal-point.js"]

    @admin.display(description="Picture")
    def thumbnail(self, obj):
        if not obj.file:
            return "—"
        return format_html(
            '<img class="desk-thumb" src="{}" alt="" width="80" loading="lazy">',
            obj.rendition_url("w320"),
        )

    @admin.display(description="Size")
    def size(self, obj):
        return f"{obj.width} x {obj.height} px" if obj.width else "—"

    @admin.display(description="Picture and focal point")
    def focal_point_picker(self, obj):
        if not obj.file:
            return "Save the picture first; then click it here to set the focal point."
        return format_html(
            '<div class="focal-picker" data-focal-picker>'
            '<img src="{}" alt="{}" data-focal-image>'
            '<span class="focal-marker" data-focal-marker hidden></span></div>',
            obj.rendition_url("w640"),
            obj.alt_text,
        )

    @admin.display(description="Renditions")
    def rendition_list(self, obj):
        names = sorted(obj.renditions or {})
        return ", ".join(names) or "None yet (made when the picture is saved)."

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


class BylineInline(admin.TabularInline):
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


class CorrectionInline(admin.StackedInline):
    model = Correction
    extra = 0
    fields = ["kind", "text", "created_at"]
    verbose_name_plural = "Corrections (shown to readers on the article and the corrections page)"


class RelatedLinkInline(admin.TabularInline):
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


class DeskStatusFilter(admin.SimpleListFilter):
    """Status as the desk thinks of it: a published article is Scheduled or Live."""

    title = "status"
    parameter_name = "desk_status"

    def lookups(self, request, model_admin):
        return [
            ("draft", "Draft"),
            ("review", "In review"),
            ("scheduled", "Scheduled"),
            ("live", "Live"),
            ("withdrawn", "Withdrawn"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "live":
            return queryset & Article.objects.live()
        if value == "scheduled":
            return queryset & Article.objects.scheduled()
        if value in ("draft", "review", "withdrawn"):
            return queryset.filter(status=value)
        return queryset


class AuthorFilter(admin.SimpleListFilter):
    """The authors with the most recent bylines, by name; any other author works as
    ?author=<id> too (and is then listed). Hundreds of links made the sidebar unreadable
    and cost a third of the change list's time."""

    title = "author"
    parameter_name = "author"
    SHOWN = 25

    def lookups(self, request, model_admin):
        choices = cache.get_or_set("desk:author-filter", self._busy_authors, 300)
        value = self.value()
        if value and value.isdigit() and value not in dict(choices):
            chosen = Author.objects.filter(pk=int(value)).values_list("pk", "name").first()
            if chosen:
                choices = [*choices, (str(chosen[0]), chosen[1])]
        return choices

    @classmethod
    def _busy_authors(cls):
        # Counted over recent bylines only, so the sidebar costs the same at any size.
        recent = Byline.objects.order_by("-id").values("pk")[:2000]
        busiest = (
            Byline.objects.filter(pk__in=recent)
            .values_list("author_id", "author__name")
            .annotate(uses=Count("id"))
            .order_by("-uses", "author__name")[: cls.SHOWN]
        )
        return sorted(((str(pk), name) for pk, name, _uses in busiest), key=lambda c: c[1])

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(bylines__author_id=int(self.value()))
        return queryset


class TagFilter(admin.SimpleListFilter):
    """The most used tags; any other tag works as ?tag=<slug> too."""

    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        return cache.get_or_set("desk:tag-filter", self._popular_tags, 300)

    @staticmethod
    def _popular_tags():
        # Counted over recent taggings only, so the sidebar costs the same at any size.
        recent = TaggedArticle.objects.order_by("-id").values("pk")[:2000]
        tags = (
            TaggedArticle.objects.filter(pk__in=recent)
            .values_list("tag__slug", "tag__name")
            .annotate(uses=Count("id"))
            .order_by("-uses", "tag__name")[:25]
        )
        return [(slug, name) for slug, name, _uses in tags]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tags__slug=self.value())
        return queryset


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows, so a change list over 100,000 articles never runs a
    full-table COUNT; past that, editors search or filter."""

    CAP = 10_000

    @cached_property
    def count(self):
        # Unordered: the change list's ordering would make PostgreSQL sort up to CAP rows
        # just to count them.
        return self.object_list.order_by()[: self.CAP].count()


class DeskChangeList(ChangeList):
    def get_results(self, request):
        # The rows shown never need the story text. Only they leave it out: bulk actions
        # take self.queryset and save whole articles.
        whole = self.queryset
        self.queryset = whole.defer("body", "standfirst")
        try:
            super().get_results(request)
        finally:
            self.queryset = whole


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
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
    # Publishing and withdrawing happen one article at a time, from its form, with a
    # confirmation: nothing reaches readers from a mis-ticked box.
    actions = ["submit_for_review"]
    save_on_top = False
    fieldsets = [
        (None, {"fields": ["desk_status_text", "headline", "slug", "standfirst", "body"]}),
        (None, {"fields": ["length"]}),
        ("Section and tags", {"fields": ["section", "tags", "featured"]}),
        ("Lead image", {"fields": ["lead_image", "lead_image_caption", "lead_image_credit"]}),
        ("Series", {"fields": ["series", "series_position"], "classes": ["collapse"]}),
        (
            "Publication",
            {
                "fields": ["status", "published_at", "comments_enabled", "comments_close_at"],
                "description": "Use the buttons at the bottom of the page to move the "
                "article through the desk: Submit for review → Publish now or Schedule.",
            },
        ),
        ("Search engines", {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]}),
        (None, {"fields": ["loaded_version"], "classes": ["hidden"]}),
    ]

    class Media:
        css = {"all": ["css/admin-desk.css"]}
        js = ["js/admin-article.js", "js/admin-tags.js"]

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
        return format_html('<span class="desk-badge desk-badge--{}">{}</span>', key, label)

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

    def get_search_results(self, request, queryset, search_term):
        """On PostgreSQL, search the stored, GIN-indexed search vector (every article,
        whatever its status) instead of three LIKE scans over the archive."""
        if connection.vendor != "postgresql" or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        from .search import _safe_config

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
            fields += ["published_at", "featured"]
        return fields

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or workflow.can_edit(request.user, obj)
        )

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
        try:
            if action == "schedule":
                obj.schedule(obj.published_at, by=user)
            elif action in WORKFLOW_ACTIONS:
                getattr(obj, action)(by=user)
            else:
                obj.save()
        except ValidationError as exc:
            # The form checks the same rules first; this is a last line of defence.
            raise PermissionDenied(" ".join(exc.messages)) from exc
        if action:
            # Said instead of the admin's generic "was changed successfully".
            request._desk_message = self._action_message(obj, action)

    def message_user(self, request, message, *args, **kwargs):
        message = request.__dict__.pop("_desk_message", None) or message
        super().message_user(request, message, *args, **kwargs)

    def _action_message(self, obj, action):
        if action == "submit":
            return f"“{obj}” is now waiting for review by an editor."
        if action == "publish":
            return f"“{obj}” is live."
        if action == "schedule":
            when = short_datetime(obj.published_at)
            return f"“{obj}” is scheduled: it goes live by itself on {when}."
        if action == "withdraw":
            return f"“{obj}” was withdrawn; readers now get “410 Gone”."
        return f"“{obj}” is a draft again."

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        article = form.instance
        if not change and not article.bylines.exists():
            # A new story is bylined to the writer who started it, when they are an author.
            author = Author.objects.filter(user=request.user).first()
            if author is not None:
                Byline.objects.create(article=article, author=author, position=0)
        revisions.record(article, request.user)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(
            workflow_buttons=self.workflow_buttons(request, obj),
            can_share_preview=obj is not None and workflow.can_publish(request.user),
            share_link=request.session.pop(f"desk-share-{obj.pk}", None) if obj else None,
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def workflow_buttons(self, request, obj):
        """The buttons that move this article on, for this user: (action, label, help)."""
        user = request.user
        article = obj or Article(status=Article.Status.DRAFT)
        if obj is not None and not workflow.can_edit(user, obj):
            return []
        buttons = []
        publisher = workflow.can_publish(user)
        status = article.status
        if status == Article.Status.DRAFT and workflow.can_submit(user, article):
            buttons.append(
                ("submit", "Submit for review", "Saves and sends it to an editor to check.")
            )
        if publisher and (status != Article.Status.PUBLISHED or article.is_scheduled):
            buttons.append(
                ("publish", "Publish now", "Saves and puts it on the site straight away.")
            )
            buttons.append(
                (
                    "schedule",
                    "Schedule",
                    "Saves and publishes it at the “Published at” time (set a future time).",
                )
            )
        if status == Article.Status.REVIEW or (publisher and article.is_scheduled):
            buttons.append(
                ("return_to_draft", "Back to draft", "Takes it out of review or off the schedule.")
            )
        if publisher and status == Article.Status.PUBLISHED:
            buttons.append(
                ("withdraw", "Withdraw", "Takes it off the site; readers get “410 Gone”.")
            )
        return buttons

    # -- Revisions, preview links --------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("body/images/", wrap(editor.images), name="articles_article_body_images"),
            path("body/upload/", wrap(editor.upload), name="articles_article_body_upload"),
            path("body/embed/", wrap(editor.embed), name="articles_article_body_embed"),
            path(
                "tags/suggest/",
                wrap(self.tag_suggest_view),
                name="articles_article_tag_suggest",
            ),
            path(
                "<path:object_id>/revisions/",
                wrap(self.revisions_view),
                name="articles_article_revisions",
            ),
            path(
                "<path:object_id>/revisions/compare/",
                wrap(self.compare_view),
                name="articles_article_compare",
            ),
            path(
                "<path:object_id>/revisions/<int:revision_id>/restore/",
                wrap(require_POST(self.restore_view)),
                name="articles_article_restore",
            ),
            path(
                "<path:object_id>/share-preview/",
                wrap(require_POST(self.share_preview_view)),
                name="articles_article_share_preview",
            ),
            *super().get_urls(),
        ]

    def tag_suggest_view(self, request):
        """Existing tags starting with what the editor typed, so the desk reuses them."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        typed = request.GET.get("q", "").strip()
        names = []
        if len(typed) >= 2:
            names = list(
                Tag.objects.filter(name__istartswith=typed)
                .order_by("name")
                .values_list("name", flat=True)[:12]
            )
        return JsonResponse({"tags": names})

    def _viewable(self, request, object_id):
        article = get_object_or_404(Article, pk=unquote(object_id))
        if not self.has_view_or_change_permission(request, article):
            raise PermissionDenied
        return article

    def revisions_view(self, request, object_id):
        article = self._viewable(request, object_id)
        history = list(article.revisions.select_related("created_by"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"History of “{article}”",
            "opts": self.opts,
            "original": article,
            "revisions": history,
            "can_restore": workflow.can_publish(request.user),
        }
        return TemplateResponse(request, "admin/articles/article/revisions.html", context)

    def compare_view(self, request, object_id):
        article = self._viewable(request, object_id)
        pks = [request.GET.get("a", ""), request.GET.get("b", "")]
        if not all(pk.isdigit() for pk in pks):
            messages.warning(request, "Choose two revisions to compare.")
            return HttpResponseRedirect(
                reverse("admin:articles_article_revisions", args=[article.pk])
            )
        found = {rev.pk: rev for rev in article.revisions.filter(pk__in=pks)}
        if len(found) != len(set(pks)):
            raise PermissionDenied("Those revisions do not belong to this article.")
        older, newer = sorted(
            (found[int(pk)] for pk in pks), key=lambda rev: (rev.created_at, rev.pk)
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Changes to “{article}”",
            "opts": self.opts,
            "original": article,
            "older": older,
            "newer": newer,
            "changes": revisions.diff(older.data, newer.data),
            "can_restore": workflow.can_publish(request.user),
        }
        return TemplateResponse(request, "admin/articles/article/revision_compare.html", context)

    def restore_view(self, request, object_id, revision_id):
        article = self._viewable(request, object_id)
        revision = get_object_or_404(Revision, pk=revision_id, article=article)
        if not workflow.can_publish(request.user):
            raise PermissionDenied("Only an editor may restore revisions.")
        revisions.restore(revision, by=request.user)
        when = date_format(timezone.localtime(revision.created_at), "DATETIME_FORMAT")
        messages.success(
            request,
            f"Restored the version of {when}. The version it replaced is kept in the history.",
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))

    def share_preview_view(self, request, object_id):
        article = self._viewable(request, object_id)
        if not workflow.can_publish(request.user):
            raise PermissionDenied("Only an editor may share previews.")
        link = request.build_absolute_uri(preview.share_url(article))
        request.session[f"desk-share-{article.pk}"] = link
        messages.success(
            request,
            f"Preview link made; it works for {preview.share_hours()} hours for anyone who "
            "has it. Copy it from the box at the top of the form.",
        )
        return HttpResponseRedirect(reverse("admin:articles_article_change", args=[article.pk]))


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "created_at"]
    search_fields = ["title"]
    prepopulated_fields = {"slug": ["title"]}


@admin.register(Embed)
class EmbedAdmin(admin.ModelAdmin):
    """What providers said about the addresses embedded in stories (read only); an
    editor may ask a provider again, and the stories showing it are rendered anew."""

    list_display = ["url", "provider", "status", "title", "resolved_at"]
    list_filter = ["status", "provider"]
    search_fields = ["url", "title"]
    readonly_fields = [field.name for field in Embed._meta.fields]
    actions = ["resolve_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(permissions=["change"], description="Ask the provider again")
    def resolve_again(self, request, queryset):
        from . import embeds

        for found in queryset:
            embeds.resolve(found.url, again=True)
            body.rerender(found.articles.all())
        self.message_user(request, "Asked again; the stories showing them are up to date.")


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["article", "kind", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["article"]
    search_fields = ["text", "article__headline"]
    autocomplete_fields = ["article"]


@admin.register(Revision)
class RevisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["article", "created_by", "created_at"]
    list_select_related = ["article", "created_by"]
    search_fields = ["article__headline"]
    date_hierarchy = "created_at"


@admin.register(SlugRedirect)
class SlugRedirectAdmin(admin.ModelAdmin):
    list_display = ["old_path", "article"]
    list_select_related = ["article"]
    search_fields = ["old_path", "article__headline"]
    autocomplete_fields = ["article"]
