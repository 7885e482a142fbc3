"""Name words for search and ordering keys, shared by the writer and the search query."""

from __future__ import annotations

import re

_WORD_SPLIT = re.compile(r"[\s\-]+")


def name_words(*names: str) -> list[str]:
    """Lower-cased words of names, split at white space and hyphens (CONTRACT.md)."""
    words: list[str] = []
    for name in names:
        for word in _WORD_SPLIT.split(name.lower()):
            if word and word not in words:
                words.append(word)
    return words


def order_key(name: str) -> str:
    """The ordering key of a name: lower-cased, compared by code point."""
    return name.lower()
