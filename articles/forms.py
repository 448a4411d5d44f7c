"""Admin forms for the desk: no lost edits on articles, safe uploads for images."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django_prose_editor.widgets import AdminProseEditorWidget

from . import images, workflow
from .models import Article, Image, LiveUpdate, Revision
from .richtext import STORY_NODES, figure_kind, parse


class DeskProseEditorWidget(AdminProseEditorWidget):
    """The prose editor without an inline import map, so it runs under a strict
    Content-Security-Policy: our module imports the editor by its static path."""

    @property
    def media(self):
        return forms.Media(
            css={
                "all": [
                    "django_prose_editor/material-icons.css",
                    "django_prose_editor/editor.css",
                    "django_prose_editor/overrides.css",
                    "css/admin-desk.css",
                ]
            },
            js=[forms.Script("js/admin-prose-editor.js", type="module")],
        )


class ArticleAdminForm(forms.ModelForm):
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    #: Set once the publication checklist was shown: pressing the button again publishes.
    checklist_seen = forms.BooleanField(widget=forms.HiddenInput, required=False)

    #: Set by ArticleAdmin.get_form: the user and the workflow button that was pressed.
    user = None
    workflow_action = ""

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 — the admin's fieldsets choose what shows.
        widgets = {"body": DeskProseEditorWidget}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        if "body" in self.fields:
            self.fields["body"].help_text = (
                "Headings, bold, italic, links, lists and quotes; pictures, galleries and "
                "embeds from the buttons at the end of the toolbar. Pasted formatting "
                "and anything unsafe is removed when you save."
            )
            self._configure_story_nodes(self.fields["body"].widget)
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs.update(
                {
                    "data-suggest-url": reverse("admin:articles_article_tag_suggest"),
                    "autocomplete": "off",
                    "size": 60,
                }
            )
            self.fields[
                "tags"
            ].help_text = "Separate tags with commas; existing tags are suggested as you type."
        if "published_at" in self.fields:
            self.fields["published_at"].help_text = (
                "Set a future time and press “Schedule” to publish at that moment "
                "(an embargo). “Publish now” fills in the current time."
            )
        if self.instance.pk and self.instance.is_live:
            moved = (
                "This story is live: change this and its address changes; the old address "
                "will redirect readers and search engines to the new one."
            )
            for name in ("slug", "published_at"):
                if name in self.fields:
                    self.fields[name].help_text = moved

    @staticmethod
    def _configure_story_nodes(widget):
        """Tell the editor's story nodes where the desk's endpoints are (articles/editor.py)."""
        endpoints = {
            "images": reverse("admin:articles_article_body_images"),
            "upload": reverse("admin:articles_article_body_upload"),
            "embed": reverse("admin:articles_article_body_embed"),
        }
        extensions = dict(widget.config.get("extensions", {}))
        for name in STORY_NODES:
            if name in extensions:
                extensions[name] = {"endpoints": endpoints}
        widget.config = {**widget.config, "extensions": extensions}

    def _post_clean(self):
        """The body is sanitised once, by the model's validation (a body nested too deep
        is refused before that); then an embed from outside the allowed providers is an
        error the editor reads (its address stays in the form to fix), not a link quietly
        left in the story."""
        from . import embeds

        super()._post_clean()
        if "body" not in self.fields or "body" in self.errors:
            return
        for node in parse(self.instance.body):
            if figure_kind(node) == "data-embed":
                try:
                    embeds.check_url(node.attrs["data-embed"])
                except ValidationError as exc:
                    for message in exc.messages:
                        self.add_error("body", message)

    def clean(self):
        cleaned = super().clean()
        self._check_version()
        self._check_workflow(cleaned)
        return cleaned

    def _check_version(self):
        """Refuse to save over someone else's newer save, and refuse a save that does not
        say which version it was made from (a form missing or emptying the field could
        otherwise skip the check). The admin runs the whole request in a transaction, so
        the row lock is held until our save is done."""
        if not self.instance.pk:
            return
        loaded = self.cleaned_data.get("loaded_version")
        rows = Article.objects.filter(pk=self.instance.pk)
        if transaction.get_connection(rows.db).in_atomic_block:
            rows = rows.select_for_update()
        current = rows.values_list("version", flat=True).first()
        if current is None or loaded == current:
            return
        # Save again to keep this version over theirs; theirs stays in the history.
        data = self.data.copy()
        data["loaded_version"] = current
        self.data = data
        if loaded is None:
            raise ValidationError(
                "This form did not say which version of the article it was made from, so "
                "your changes were not saved over the current text. Your text is still in "
                "the form below; compare it with the article's history, then press Save "
                "again to keep your version.",
                code="conflict",
            )
        latest = (
            Revision.objects.filter(article_id=self.instance.pk)
            .select_related("created_by")
            .first()
        )
        who = (
            (latest.created_by.get_full_name() or latest.created_by.get_username())
            if (latest and latest.created_by)
            else "Someone else"
        )
        when = (
            date_format(timezone.localtime(latest.created_at), "DATETIME_FORMAT") if latest else ""
        )
        raise ValidationError(
            "%(who)s saved this article%(when)s while you were editing, so your changes "
            "were not saved. Your text is still in the form below. Compare it with "
            "theirs in the article's history, then press Save again to keep your version "
            "(theirs stays in the history).",
            code="conflict",
            params={"who": who, "when": f" at {when}" if when else ""},
        )

    def _check_workflow(self, cleaned):
        """The button pressed, by the workflow's one table, from the stored status."""
        action, user = self.workflow_action, self.user
        if not action or user is None:
            return
        refused = workflow.refusal(user, self.instance, action)
        if refused:
            code, message = refused
            raise ValidationError(message, code=code)
        when = cleaned.get("published_at")
        if action == "schedule" and (when is None or when <= timezone.now()):
            self.add_error(
                "published_at",
                "To schedule, enter a time in the future here. "
                "To publish straight away, use “Publish now”.",
            )
        if action in ("publish", "schedule"):
            self._check_checklist(cleaned, workflow.TRANSITIONS[action].label)

    def _check_checklist(self, cleaned, label):
        """Say what the story lacks before it goes out; the same button again publishes
        it as it is."""
        if cleaned.get("checklist_seen"):
            return
        missing = workflow.missing_for_publication(
            section=cleaned.get("section", self.instance.section),
            standfirst=cleaned.get("standfirst", self.instance.standfirst),
            lead_image=cleaned.get("lead_image", self.instance.lead_image),
            bylines=self._bylines_kept(),
        )
        if not missing:
            return
        data = self.data.copy()
        data["checklist_seen"] = "True"
        self.data = data
        raise ValidationError(
            "Before it goes out, this story is missing %(missing)s. Add what you can, or "
            "press “%(label)s” again to go ahead as it is.",
            code="checklist",
            params={"missing": ", ".join(missing), "label": label},
        )

    def _bylines_kept(self):
        """How many bylines this save leaves (the byline rows posted with it), or the
        stored ones when the rows were not posted."""
        total = self.data.get("bylines-TOTAL_FORMS")
        if total is None or not str(total).isdecimal():
            return self.instance.bylines.count() if self.instance.pk else 0
        return sum(
            1
            for row in range(min(int(total), 1000))
            if self.data.get(f"bylines-{row}-author") and not self.data.get(f"bylines-{row}-DELETE")
        )


class UploadedImageField(forms.ImageField):
    """Checks the picture by its content (images.inspect_upload) instead of Django's
    plain Pillow check, so every refusal says what is wrong."""

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        if upload is None:
            return None
        images.inspect_upload(upload, getattr(upload, "name", ""))
        upload.seek(0)
        return upload


class ImageAdminForm(forms.ModelForm):
    file = UploadedImageField(
        help_text="JPEG, PNG, WebP or GIF. Location and camera data are removed when you save."
    )

    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit", "focal_x", "focal_y"]
        widgets = {
            "focal_x": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            "focal_y": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
        }

    def clean_alt_text(self):
        alt = " ".join(self.cleaned_data.get("alt_text", "").split())
        if not alt:
            raise ValidationError("Describe the picture for readers who cannot see it.")
        return alt

    def clean(self):
        cleaned = super().clean()
        for name in ("focal_x", "focal_y"):
            value = cleaned.get(name)
            if value is not None and not 0 <= value <= 1:
                self.add_error(name, "Use a number from 0 to 1.")
        return cleaned


class LiveUpdateForm(forms.ModelForm):
    """An update to a live article: the compact form at the top of its desk page, and
    the update's own change form. `loaded_version` refuses a save over a newer one."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = LiveUpdate
        fields = ["title", "body", "author", "pinned", "key_event"]
        widgets = {"body": DeskProseEditorWidget}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
        if "body" in self.fields:
            ArticleAdminForm._configure_story_nodes(self.fields["body"].widget)
            self.fields["body"].required = False

    def _post_clean(self):
        from . import embeds

        super()._post_clean()
        if "body" in self.errors:
            return
        for node in parse(self.instance.body or ""):
            if figure_kind(node) == "data-embed":
                try:
                    embeds.check_url(node.attrs["data-embed"])
                except ValidationError as exc:
                    for message in exc.messages:
                        self.add_error("body", message)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            loaded = cleaned.get("loaded_version")
            current = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            # A missing or emptied version is as stale as an old one: nothing skips it.
            if current is not None and loaded != current:
                data = self.data.copy()
                data["loaded_version"] = current
                self.data = data
                raise ValidationError(
                    "Someone else saved this update while you were editing, so your "
                    "changes were not saved. Your text is still below; press Save again "
                    "to keep your version.",
                    code="conflict",
                )
        return cleaned
