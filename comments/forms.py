import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone

from .models import Comment

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def body_problem(body):
    """Why a body cannot be accepted at all (shown to the reader as a form error)."""
    if body is None or not body.strip():
        return "The comment is empty."
    if "\x00" in body:
        return "The comment contains a NUL character."
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in body):
        return "The comment contains control characters."
    if len(body) > settings.COMMENTS_MAX_LENGTH:
        limit = settings.COMMENTS_MAX_LENGTH
        return f"The comment is too long ({len(body)} characters; the most is {limit})."
    return None


# Signed form timestamp ----------------------------------------------------------

_SIGNER_SALT = "comments.form-token"


def form_token(article_id):
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(str(article_id))


class ExpiredForm(Exception):
    pass


def form_age(token, article_id):
    """Seconds since the form carrying `token` was rendered for this article;
    None when the token is missing or forged. Raises ExpiredForm when it is
    genuine but too old, so an honest reader gets a fresh form, not a spam mark."""
    if not token:
        return None
    signer = signing.TimestampSigner(salt=_SIGNER_SALT)
    try:
        value = signer.unsign(token, max_age=settings.COMMENTS_FORM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ExpiredForm from exc
    except signing.BadSignature:
        return None
    if value != str(article_id):
        return None
    timestamp = signing.b62_decode(token.split(signer.sep)[-2])
    return timezone.now().timestamp() - timestamp


class CommentForm(forms.Form):
    """A reader's comment. Only these fields are read from the POST, so extra
    fields such as `status` can never reach the model."""

    name = forms.CharField(max_length=100, label="Name")
    email = forms.EmailField(
        max_length=254, label="E-mail", help_text="Never shown; used only if we need to reach you."
    )
    body = forms.CharField(
        label="Comment",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)
    token = forms.CharField(required=False, widget=forms.HiddenInput)
    # The honeypot: hidden from people by CSS and from assistive technology; bots fill it.
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, article, user=None, **kwargs):
        self.article = article
        self.user = user
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("token", form_token(article.pk))
        if user is not None and user.is_authenticated:
            initial.setdefault("name", user.get_full_name() or user.get_username())
            initial.setdefault("email", user.email)
        super().__init__(*args, **kwargs)
        self.fields["body"].max_length = settings.COMMENTS_MAX_LENGTH
        self.fields["body"].widget.attrs["maxlength"] = settings.COMMENTS_MAX_LENGTH

    def clean_name(self):
        name = self.cleaned_data["name"]
        problem = body_problem(name)
        if problem:
            raise forms.ValidationError(problem.replace("comment", "name"))
        return name

    def clean_email(self):
        # Kept in one case so that matching a commenter's comments can use the index.
        return self.cleaned_data["email"].strip().lower()

    def clean_body(self):
        body = self.cleaned_data["body"]
        problem = body_problem(body)
        if problem:
            raise forms.ValidationError(problem)
        return body

    def clean_parent(self):
        """The comment being answered: approved, on this article. A reply to a reply
        joins the thread of the comment at its top (one level of nesting)."""
        parent_id = self.cleaned_data.get("parent")
        if not parent_id:
            return None
        parent = (
            Comment.objects.approved()
            .filter(pk=parent_id, article=self.article)
            .select_related("parent")
            .first()
        )
        if parent is None:
            raise forms.ValidationError(
                "The comment you are replying to is not on this article or is not shown."
            )
        return parent.parent or parent


class FlagForm(forms.Form):
    REASONS = [
        ("Spam", "Spam or advertising"),
        ("Abuse", "Abuse or harassment"),
        ("Hate", "Hateful or discriminatory"),
        ("Legal", "Possibly unlawful (defamation, contempt, privacy)"),
        ("Off-topic", "Off-topic"),
        ("Other", "Something else"),
    ]

    reason = forms.ChoiceField(choices=REASONS, widget=forms.RadioSelect, label="Why?")
    details = forms.CharField(
        required=False,
        max_length=250,
        label="Details (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def reason_text(self):
        details = " ".join(self.cleaned_data.get("details", "").split())
        reason = self.cleaned_data["reason"]
        return f"{reason}: {details}" if details else reason
