"""The reader's forms. The comment form owns its protections (as django-contrib-comments'
CommentSecurityForm does): a signed, one-use token that says when and for which article
the form was shown, the honeypot, and the checks on the text. `get_comment()` builds the
unsaved comment that auto-moderation then reads."""

import secrets
import unicodedata

from django import forms
from django.conf import settings
from django.core import signing
from django.utils import timezone

from .models import Comment

_ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def validate_text(value, what="comment"):
    """Refuse text no comment can be: empty, NUL or other control characters, too long."""
    if value is None or not value.strip():
        raise forms.ValidationError(f"The {what} is empty.", code="empty")
    if "\x00" in value:
        raise forms.ValidationError(f"The {what} contains a NUL character.", code="nul")
    if any(unicodedata.category(ch) == "Cc" and ch not in _ALLOWED_CONTROLS for ch in value):
        raise forms.ValidationError(f"The {what} contains control characters.", code="control")
    limit = settings.COMMENTS_MAX_LENGTH
    if len(value) > limit:
        raise forms.ValidationError(
            f"The {what} is too long ({len(value)} characters; the most is {limit}).",
            code="too_long",
        )


_SIGNER_SALT = "comments.form-token"

RELOADED = {
    "expired": "The form had been open too long. Your text is kept: please post again.",
    "replayed": (
        "This form has already been used to post a comment, so it has been reloaded. "
        "Your text is kept below: post it again if you meant to."
    ),
}


def form_token(article_id):
    """A token for one form on one article: a fresh random nonce, signed with the time."""
    nonce = secrets.token_urlsafe(16)
    return signing.TimestampSigner(salt=_SIGNER_SALT).sign(f"{article_id}:{nonce}")


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
        self.user = user if user is not None and user.is_authenticated else None
        # What the token says, once cleaned: seconds since the form was shown (None
        # when the token is missing or forged) and the nonce a stored comment spends.
        self.form_age = None
        self.nonce = ""
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("token", form_token(article.pk))
        if self.user is not None:
            initial.setdefault("name", self.user.get_full_name() or self.user.get_username())
            initial.setdefault("email", self.user.email)
        super().__init__(*args, **kwargs)
        self.fields["body"].widget.attrs["maxlength"] = settings.COMMENTS_MAX_LENGTH

    def clean_name(self):
        name = self.cleaned_data["name"]
        validate_text(name, "name")
        return name.strip()

    def clean_email(self):
        # Kept in one case so that matching a commenter's comments can use the index.
        return self.cleaned_data["email"].strip().lower()

    def clean_body(self):
        body = self.cleaned_data["body"]
        validate_text(body)
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

    def clean_token(self):
        """A missing or forged token is no error: the comment goes on, and the timing
        rule marks it as spam. A genuine token that is too old, or that a stored
        comment already spent, asks for the form to be reloaded (`needs_reload`)."""
        token = self.cleaned_data["token"]
        if not token:
            return token
        signer = signing.TimestampSigner(salt=_SIGNER_SALT)
        try:
            value = signer.unsign(token, max_age=settings.COMMENTS_FORM_MAX_AGE)
        except signing.SignatureExpired:
            raise forms.ValidationError(RELOADED["expired"], code="expired") from None
        except signing.BadSignature:
            return token
        article_id, _, nonce = value.partition(":")
        if article_id != str(self.article.pk):
            return token
        if not nonce:  # a genuine token from before tokens were spent: just reload
            raise forms.ValidationError(RELOADED["expired"], code="expired")
        if Comment.objects.filter(form_nonce=nonce).exists():
            raise forms.ValidationError(RELOADED["replayed"], code="replayed")
        timestamp = signing.b62_decode(token.split(signer.sep)[-2])
        self.form_age = timezone.now().timestamp() - timestamp
        self.nonce = nonce
        return token

    def needs_reload(self):
        """The reason to give the reader a fresh form with their text kept, or ""."""
        for code, message in RELOADED.items():
            if self.has_error("token", code):
                return message
        return ""

    def reloaded(self):
        """This bound form again, with a fresh token: the reader's text is kept."""
        data = self.data.copy()
        data["token"] = form_token(self.article.pk)
        form = type(self)(data, article=self.article, user=self.user)
        form.is_valid()
        return form

    def get_comment(self, *, ip_hash="", user_agent=""):
        """The unsaved comment this valid form describes. What the form's protections
        found that is not stored (the form's age, the honeypot) rides along on the
        comment for auto-moderation to read."""
        data = self.cleaned_data
        comment = Comment(
            article=self.article,
            parent=data["parent"],
            user=self.user,
            name=data["name"],
            email=data["email"],
            body=data["body"],
            ip_hash=ip_hash,
            user_agent=user_agent[:500],
            form_nonce=self.nonce,
        )
        comment.form_age = self.form_age
        comment.honeypot = data["website"]
        return comment


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
