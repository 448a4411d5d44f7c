"""The queue's health: its size, its oldest comment, and comments per day by outcome,
laid out in Python as bars for the SVG chart the template draws."""

import datetime

from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Comment

CHART_COLOURS = {
    "approved": "#2e7d32",
    "pending": "#a35f00",
    "rejected": "#6b6b6b",
    "spam": "#b71c1c",
}


def queue_health(days=30):
    """The queue's size, its oldest comment, and comments per day by outcome
    for the last `days` days, laid out as bars for an SVG drawn by the template."""
    waiting = Comment.objects.in_moderation().aggregate(n=Count("id"), oldest=Min("created_at"))
    today = timezone.localdate()
    start = today - datetime.timedelta(days=days - 1)
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    rows = (
        Comment.objects.filter(created_at__gte=start_at)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    per_day = {
        start + datetime.timedelta(days=i): dict.fromkeys(CHART_COLOURS, 0) for i in range(days)
    }
    for row in rows:
        if row["day"] in per_day:
            per_day[row["day"]][row["status"]] += row["n"]
    tallest = max([sum(counts.values()) for counts in per_day.values()] + [1])
    width, height, gap = 14, 100, 2
    bars = []
    for index, (day, counts) in enumerate(sorted(per_day.items())):
        y = height
        segments = []
        for status in ("approved", "rejected", "spam", "pending"):
            h = round(counts[status] / tallest * height, 1)
            if h:
                y -= h
                segments.append({"y": round(y, 1), "h": h, "colour": CHART_COLOURS[status]})
        bars.append(
            {
                "x": index * (width + gap),
                "width": width,
                "segments": segments,
                "day": day,
                "counts": counts,
                "total": sum(counts.values()),
            }
        )
    oldest = waiting["oldest"]
    return {
        "waiting": waiting["n"],
        "oldest": oldest,
        "oldest_age": timezone.now() - oldest if oldest else None,
        "bars": bars,
        "chart_width": days * (width + gap),
        "chart_height": height,
        "tallest": tallest,
        "colours": CHART_COLOURS,
    }
