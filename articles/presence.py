"""Who else has a story open at the desk: a heartbeat kept in the shared cache.

Each open change form (a browser tab) posts a heartbeat every `interval()` seconds
saying whether it has unsaved changes. The tabs on one article are kept together, as
one dict under one cache key (`presence:article:<id>`), so a single read tells the form
everyone on the story and a single `get_many` marks a whole page of the change list.
Nothing here touches the database.

A tab that stops beating (closed, crashed, offline) drops out after `TTL` seconds; a
tab that closes normally says so at once (`leave`), and its entry is kept for `TTL`
seconds as "left", so that a heartbeat it sent just before, answered after the
leaving, does not put it back on the story. A tab in the background beats
more slowly (browsers throttle its timers to about once a minute), so its entry is
kept for `HIDDEN_TTL`.

Writes read the dict, change one entry and write it back, without a lock: two
heartbeats on the same story at the same instant can overwrite one another. The
lost one costs that person one interval of absence on the others' screens (their
next heartbeat puts them back), which is accepted rather than paying a lock round
trip on every beat. Optimistic locking on save (`ArticleAdminForm._check_version`)
stays what actually protects the text.
"""

import datetime
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

#: Seconds without a heartbeat after which a visible tab no longer counts.
TTL = 30
#: The same for a tab in the background, whose timers the browser slows down.
HIDDEN_TTL = 150
#: Tabs kept per story: the oldest go first past this, so a runaway client cannot
#: grow one cache entry without end.
MAX_TABS = 40
#: What a tab calls itself: made up by the browser, checked here.
TAB_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
#: What the tab is doing: editing (the form can be saved) or only reading.
MODES = ("edit", "read")


def interval():
    """Seconds between heartbeats; at most 15 (the desk's promise). Tests shorten it."""
    return min(max(float(getattr(settings, "PRESENCE_INTERVAL", 10)), 0.5), 15.0)


def cache_key(article_id):
    return f"presence:article:{int(article_id)}"


def display_name(user):
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class Person:
    """Someone on a story, over all their tabs."""

    user_id: int
    name: str
    mode: str
    dirty: bool
    since: float

    @property
    def editing(self):
        return self.mode == "edit"

    @property
    def since_at(self):
        return datetime.datetime.fromtimestamp(self.since, tz=datetime.UTC)

    def as_json(self):
        return {
            "name": self.name,
            "mode": self.mode,
            "dirty": self.dirty,
            "since": self.since_at.isoformat(timespec="seconds"),
        }


def _fresh(tabs, now):
    return {tab: entry for tab, entry in (tabs or {}).items() if entry["until"] > now}


def _people(tabs, now, exclude_user_id=None):
    """The tabs still fresh, one Person per user (editing if any tab edits, unsaved if
    any tab has unsaved changes, there since their first tab opened), earliest first."""
    people = {}
    for entry in _fresh(tabs, now).values():
        if entry["user"] == exclude_user_id or entry.get("left"):
            continue
        seen = people.get(entry["user"])
        if seen is None:
            people[entry["user"]] = Person(
                entry["user"], entry["name"], entry["mode"], entry["dirty"], entry["since"]
            )
        else:
            people[entry["user"]] = Person(
                seen.user_id,
                seen.name,
                "edit" if "edit" in (seen.mode, entry["mode"]) else "read",
                seen.dirty or entry["dirty"],
                min(seen.since, entry["since"]),
            )
    return sorted(people.values(), key=lambda person: (person.since, person.user_id))


def _store(article_id, tabs, now):
    """Write the story's tabs back, kept as long as the longest-lived entry ("left"
    ones included); nothing left at all deletes the key."""
    if not tabs:
        cache.delete(cache_key(article_id))
        return
    if len(tabs) > MAX_TABS:
        newest = sorted(tabs, key=lambda tab: tabs[tab]["seen"], reverse=True)[:MAX_TABS]
        tabs = {tab: tabs[tab] for tab in newest}
    timeout = max(entry["until"] for entry in tabs.values()) - now
    cache.set(cache_key(article_id), tabs, timeout=max(1, int(timeout) + 1))


def beat(article_id, user, tab, *, dirty=False, mode="edit", hidden=False, now=None):
    """Record that `user` has the story open in `tab`; return the others on it."""
    now = time.time() if now is None else now
    tabs = _fresh(cache.get(cache_key(article_id)), now)
    slot = f"{user.pk}:{tab}"
    previous = tabs.get(slot)
    if previous and previous.get("left"):
        # Sent before the tab left, answered after: the tab has gone.
        return _people(tabs, now, exclude_user_id=user.pk)
    tabs[slot] = {
        "user": user.pk,
        "name": display_name(user),
        "mode": mode if mode in MODES else "read",
        "dirty": bool(dirty),
        "since": previous["since"] if previous else now,
        "seen": now,
        "until": now + (HIDDEN_TTL if hidden else TTL),
    }
    _store(article_id, tabs, now)
    return _people(tabs, now, exclude_user_id=user.pk)


def leave(article_id, user, tab, *, now=None):
    """The tab is closing: take it off the story now rather than when it expires. The
    mark is written even when the tab is not on the story yet: its first heartbeat may
    be the one still on its way."""
    now = time.time() if now is None else now
    tabs = _fresh(cache.get(cache_key(article_id)), now)
    tabs[f"{user.pk}:{tab}"] = {"user": user.pk, "left": True, "seen": now, "until": now + TTL}
    _store(article_id, tabs, now)


def on_story(article_id, *, exclude_user_id=None, now=None):
    """Everyone with the story open (one cache read)."""
    now = time.time() if now is None else now
    return _people(cache.get(cache_key(article_id)), now, exclude_user_id)


def editing(article_ids, *, exclude_user_id=None, now=None):
    """{article id: [Person editing it]} for the stories someone is editing, in one
    cache round trip whatever the number of stories."""
    now = time.time() if now is None else now
    ids = {cache_key(article_id): article_id for article_id in article_ids}
    if not ids:
        return {}
    found = {}
    for key, tabs in cache.get_many(list(ids)).items():
        people = [p for p in _people(tabs, now, exclude_user_id) if p.editing]
        if people:
            found[ids[key]] = people
    return found
