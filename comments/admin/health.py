"""The queue's health: its size, its oldest comment, and comments per day by outcome,
laid out in Python as bars for the SVG chart the template draws."""

import datetime

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Comment

CHART_COLOURS = {
    "approved": "#2e7d32",
    "pending": "#a35f00",
    "rejected": "#6b6b6b",
    "spam": "#b71c1c",
}


# The chart is counted again at most once a minute: the queue page is what a moderator
# reloads after every decision, and counting a month of comments by day and outcome read
# every one of them (about 70 ms at a million comments).
CHART_SECONDS = 60


def _per_day(start_at):
    return [
        (row["day"], row["status"], row["n"])
        for row in Comment.objects.filter(created_at__gte=start_at)
        .annotate(day=TruncDate("created_at"))
        .values("day", "status")
        .annotate(n=Count("*"))
        .order_by()
    ]


def queue_health(days=30):
    """The queue's size, its oldest comment, and comments per day by outcome
    for the last `days` days, laid out as bars for an SVG drawn by the template. The
    size and the oldest are read now, from the queue's index; the chart may be a minute
    old (CHART_SECONDS)."""
    queue = Comment.objects.in_moderation()
    waiting = {
        "n": queue.order_by().aggregate(n=Count("*"))["n"],
        "oldest": queue.values_list("created_at", flat=True).first(),
    }
    today = timezone.localdate()
    start = today - datetime.timedelta(days=days - 1)
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    rows = cache.get_or_set(
        f"comments:queue-chart:{start.isoformat()}:{days}",
        lambda: _per_day(start_at),
        CHART_SECONDS,
    )
    per_day = {
        start + datetime.timedelta(days=i): dict.fromkeys(CHART_COLOURS, 0) for i in range(days)
    }
    for day, status, n in rows:
        if day in per_day:
            per_day[day][status] += n
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
