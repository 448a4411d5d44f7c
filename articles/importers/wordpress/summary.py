"""What an import did, counted for the table the command prints."""

from collections import Counter
from dataclasses import dataclass, field

# What the body counts are called, in the order the table shows them (body.py counts).
BODY_ROWS = (
    "inline images",
    "with captions",
    "galleries",
    "gallery pictures",
    "gallery ids not found",
    "embeds",
    "links (not embeddable)",
    "pictures not found",
    "pictures added to the library",
)


@dataclass
class Summary:
    articles: Counter = field(default_factory=Counter)  # created / updated / unchanged
    statuses: Counter = field(default_factory=Counter)  # published / scheduled / draft / review
    comments: Counter = field(default_factory=Counter)
    comment_statuses: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    redirects: Counter = field(default_factory=Counter)
    images: Counter = field(default_factory=Counter)
    missing_media: list = field(default_factory=list)
    body: Counter = field(default_factory=Counter)  # pictures and embeds in post bodies
    missing_body_media: set = field(default_factory=set)
    notes: list = field(default_factory=list)
    created: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)  # field group → articles where the desk's stood
    undated: Counter = field(default_factory=Counter)  # where a dateless post's date came from
    article_ids: set = field(default_factory=set)
    changed_article_ids: set = field(default_factory=set)

    def rows(self):
        rows = [("Articles", None)]
        rows += [(f"{what}", self.articles[what]) for what in ("created", "updated", "unchanged")]
        rows += [
            (f"  {status}", self.statuses[status])
            for status in ("published", "scheduled", "draft", "review")
        ]
        if self.undated:
            rows += [("Published without a date", None)]
            rows += [
                (f"dated by {source}", count) for source, count in sorted(self.undated.items())
            ]
        if self.kept:
            rows += [("Kept the desk's changes", None)]
            rows += [(group, count) for group, count in sorted(self.kept.items())]
        rows += [("Bylines and terms", None)]
        rows += [
            (f"{what} created", self.created[what]) for what in ("authors", "sections", "tags")
        ]
        rows += [("Comments", None)]
        rows += [(f"{what}", self.comments[what]) for what in ("created", "updated", "unchanged")]
        if self.comments["kept"]:
            rows.append(("status kept (moderated here)", self.comments["kept"]))
        rows += [
            (f"  {status}", self.comment_statuses[status])
            for status in ("approved", "pending", "spam", "rejected")
        ]
        rows += [("Old links (301)", None)]
        rows += [(f"{what}", self.redirects[what]) for what in ("created", "unchanged")]
        if self.redirects["conflict"]:
            rows.append(("taken by another article", self.redirects["conflict"]))
        rows += [("Featured images", None)]
        rows += [(f"{what}", self.images[what]) for what in ("imported", "kept", "missing")]
        if self.images["unusable"]:
            rows.append(("unusable", self.images["unusable"]))
        rows += [("Pictures and embeds in bodies", None)]
        rows += [(what, self.body[what]) for what in BODY_ROWS]
        rows += [
            (what, count) for what, count in sorted(self.body.items()) if what not in BODY_ROWS
        ]
        rows += [("Skipped", None)]
        rows += [(label, count) for label, count in sorted(self.skipped.items())]
        if not self.skipped:
            rows.append(("nothing", 0))
        return rows
