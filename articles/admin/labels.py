"""Names for the controls Django's admin leaves unnamed on the desk's forms.

Django's split date and time inputs show "Date:" and "Time:" as bare text (the field's
own label points at neither input), and a tabular inline labels its inputs only by the
column heading, which no screen reader reads as a name. Each input here gets an
`aria-label` that contains what is shown beside it ("Due at: date"; "Position, byline 2").
"""

from django.contrib import admin
from django.contrib.admin.widgets import AdminSplitDateTime
from django.forms.models import BaseInlineFormSet


class NamedSplitDateTime(AdminSplitDateTime):
    def __init__(self, label="", attrs=None):
        super().__init__(attrs)
        self.label = label

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        for subwidget, part in zip(context["widget"]["subwidgets"], ("date", "time"), strict=True):
            subwidget["attrs"]["aria-label"] = f"{self.label}: {part}"
        return context


class NamedDateTimeMixin:
    """For a ModelAdmin or an inline: its split date/time inputs are named for the field."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and type(formfield.widget) is AdminSplitDateTime:
            formfield.widget = NamedSplitDateTime(label=formfield.label)
        return formfield


class LabelledInlineFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        noun = self.model._meta.verbose_name
        row = f"{noun} {index + 1}" if index is not None else f"new {noun}"
        for name, field in form.fields.items():
            if field.widget.is_hidden:
                continue
            label = f"Delete {row}" if name == "DELETE" else f"{field.label}, {row}"
            # A related field's wrapper shares its attrs with the original widget, not
            # this form's copy: name the inner widget itself.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs.setdefault("aria-label", label)


class LabelledTabularInline(NamedDateTimeMixin, admin.TabularInline):
    """A tabular inline whose inputs are named by column and row."""

    formset = LabelledInlineFormSet
