"""Blocked terms: finding a moderator's list of words in what a reader wrote."""

import re

from .rendering import normalise


def term_pattern(term):
    """Whole words of the normalised term, with any run of spaces or punctuation
    between words, and no word character on either side."""
    parts = re.findall(r"\w+", normalise(term))
    if not parts:
        return None
    return re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, parts)) + r"(?!\w)")


def matching_terms(text, terms):
    haystack = normalise(text)
    found = []
    for term in terms:
        pattern = term_pattern(term.term)
        if pattern and pattern.search(haystack):
            found.append(term)
    return found
