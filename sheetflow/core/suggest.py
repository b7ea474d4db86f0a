""" "Did you mean": the one known name closest to a misspelt one, for a problem's fix."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from .cells import normalize


def closest(typed: object, known: Iterable[str]) -> str | None:
    """The known name most like `typed` (case and spacing ignored), or None when none is close."""
    wanted = normalize(typed)
    if not wanted:
        return None
    by_key: dict[str, str] = {}
    for name in known:
        by_key.setdefault(normalize(name), name)
    by_key.pop(wanted, None)
    found = difflib.get_close_matches(wanted, list(by_key), n=1)
    return by_key[found[0]] if found else None


def did_you_mean(typed: object, known: Iterable[str], otherwise: str) -> str:
    """A fix that starts with the closest known name when there is one: 'did you mean "X"? If not, …'."""
    name = closest(typed, known)
    if name is None:
        return otherwise
    return f'did you mean "{name}"? If not, {otherwise}'
