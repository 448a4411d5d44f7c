"""Sections and authors: the names readers browse by."""

from django.conf import settings
from django.db import models

from newsroom.addresses import address


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, help_text="Shown at the top of the section page.")
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Sections are listed in this order on the home page and menus."
    )

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return self.url_for(self.slug)

    @staticmethod
    def url_for(slug):
        return address("articles:section", slug=slug)


class Author(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    job_title = models.CharField(max_length=200, blank=True)
    bio = models.TextField(blank=True, help_text="Plain text; shown on the author page.")
    photo = models.ImageField(upload_to="authors/", blank=True)
    email = models.EmailField(blank=True, help_text="For the newsroom only; never shown.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="author",
        help_text="The staff account that writes as this author, if any.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return address("articles:author", slug=self.slug)
