"""Blocked terms: finding a moderator's list of words in what a reader wrote.

Both sides are compared as `rendering.words()` sees them (normalised, with
lookalike letters of other scripts folded to Latin ones), so "viagra" written with
a Cyrillic i (U+0456), with a soft hyphen inside or in full-width letters reads
"viagra".
A term matches whole words: the words of the term in a row, whatever separates
them ("kill_yourself", "kill   yourself"), and a word may also be spelled out one
character at a time ("v.i.a.g.r.a", "v i a g r a"). Words are never glued together
otherwise, so "Scunthorpe", "via Graz" and "he'll" stay innocent.
"""

import itertools

from .rendering import words


def _contains(tokens, term_words):
    target = "".join(term_words)
    boundaries = set(itertools.accumulate(len(word) for word in term_words))
    for start, first in enumerate(tokens):
        if not target.startswith(first):
            continue
        joined = first
        for previous, token in zip(tokens[start:], tokens[start + 1 :], strict=False):
            if joined == target:
                break
            spelled_out = len(previous) == 1 or len(token) == 1
            if len(joined) not in boundaries and not spelled_out:
                break
            joined += token
            if not target.startswith(joined):
                break
        if joined == target:
            return True
    return False


def matching_terms(texts, terms):
    """The terms (BlockedTerm rows) found in any of `texts`."""
    token_lists = [words(text) for text in texts]
    found = []
    for term in terms:
        term_words = words(term.term)
        if term_words and any(_contains(tokens, term_words) for tokens in token_lists):
            found.append(term)
    return found
