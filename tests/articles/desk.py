"""Helpers for the editor's desk tests: drive the real admin forms like a browser does."""

from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.urls import reverse


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def add_url():
    return reverse("admin:articles_article_add")


def _widget_data(bound_field):
    widget = bound_field.field.widget
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    context = widget.get_context(bound_field.html_name, bound_field.value(), {})["widget"]
    data = {}
    for sub in context.get("subwidgets") or [context]:
        kind, value = sub.get("type"), sub.get("value")
        if kind == "checkbox":
            if sub["attrs"].get("checked"):
                data[sub["name"]] = "on"
        elif isinstance(value, list):
            data[sub["name"]] = [v for v in value if v not in (None, "")]
        else:
            data[sub["name"]] = "" if value is None else value
    return data


def form_data(response):
    """Everything the admin change form would POST back unchanged, from a GET response."""
    context = response.context
    data = {}
    for bound_field in context["adminform"].form:
        data.update(_widget_data(bound_field))
    for inline in context["inline_admin_formsets"]:
        formset = inline.formset
        for bound_field in formset.management_form:
            data[bound_field.html_name] = bound_field.value()
        for form in formset.forms:
            for bound_field in form:
                data.update(_widget_data(bound_field))
    return data


def post_change(client, article, action=None, **changes):
    """GET the change form, apply `changes`, POST it (pressing a workflow button)."""
    response = client.get(change_url(article))
    assert response.status_code == 200, response.status_code
    data = form_data(response)
    data.update(changes)
    if action:
        data["_workflow"] = action
    return client.post(change_url(article), data)


def new_article_data(client, **changes):
    response = client.get(add_url())
    assert response.status_code == 200, response.status_code
    data = form_data(response)
    data.update(
        {
            "headline": "Harbour wall to be rebuilt",
            "slug": "harbour-wall-to-be-rebuilt",
            "standfirst": "Work starts in spring.",
            "body": "<p>The council agreed the plan on Tuesday.</p>",
        }
    )
    data.update(changes)
    return data
