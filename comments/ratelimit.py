"""The per-address rate limit for posts and reports, kept in the shared cache.

It runs before anything else on the posting path, because its answer is a 429 to
the reader rather than a status on a comment.
"""

import contextlib
import dataclasses

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


def _rate_keys(ip_hash):
    hour = int(timezone.now().timestamp() // 3600)
    return f"comments:rate:short:{ip_hash}", f"comments:rate:hour:{ip_hash}:{hour}"


def _count_up(key, timeout=3600):
    """Raise a shared counter atomically (Redis INCR) and return the new value."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def _count_down(key):
    with contextlib.suppress(ValueError):  # the window ended meanwhile
        cache.decr(key)


@dataclasses.dataclass
class Slot:
    """A place taken in the rate limit for one post; given back when the post
    is not stored (form errors, a closed article), so mistakes do not count."""

    short_key: str = ""
    stamp: float = 0.0
    hour_key: str = ""

    def release(self):
        if self.short_key and cache.get(self.short_key) == self.stamp:
            cache.delete(self.short_key)
        if self.hour_key:
            _count_down(self.hour_key)
        self.short_key = self.hour_key = ""


class RateLimited(Exception):
    pass


def take_slot(ip_hash):
    """Take this address's place for one post, or raise RateLimited with the
    message for the reader. Both checks are atomic in the shared cache (add
    and incr), so a burst of simultaneous posts cannot all slip through."""
    short_key, hour_key = _rate_keys(ip_hash)
    slot = Slot()
    interval = settings.COMMENTS_RATE_LIMIT_INTERVAL
    if interval:
        now = timezone.now().timestamp()
        if not cache.add(short_key, now, timeout=interval):
            # The stored time decides, so the limit follows the application's
            # clock rather than the cache server's expiry.
            last = cache.get(short_key)
            if last is not None and now - last < interval:
                raise RateLimited(
                    f"You are posting too quickly. Please wait {interval} seconds between "
                    "comments and try again; your text is kept below."
                )
            cache.set(short_key, now, timeout=interval)
        slot.short_key, slot.stamp = short_key, now
    hourly = settings.COMMENTS_RATE_LIMIT_HOURLY
    if hourly:
        slot.hour_key = hour_key
        if _count_up(hour_key) > hourly:
            slot.release()
            raise RateLimited(
                f"You have posted {hourly} comments in the last hour, the most we accept. "
                "Please try again later; your text is kept below."
            )
    return slot


def _report_key(ip_hash):
    hour = int(timezone.now().timestamp() // 3600)
    return f"comments:rate:reports:{ip_hash}:{hour}"


def take_report_slot(ip_hash):
    """Reports share the hourly cap of posts (counted apart), so one address
    cannot flood the moderators' inbox or pull every comment off the page."""
    hourly = settings.COMMENTS_RATE_LIMIT_HOURLY
    slot = Slot()
    if hourly:
        slot.hour_key = _report_key(ip_hash)
        if _count_up(slot.hour_key) > hourly:
            slot.release()
            raise RateLimited(
                f"You have sent {hourly} reports in the last hour. Please try again later."
            )
    return slot
