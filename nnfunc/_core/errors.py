"""Exceptions raised for bad input, and the helper that names the right key."""

import difflib

__all__ = ["InputError", "InputTypeError", "suggest_key"]


class InputError(ValueError):
    """Bad input to an nnfunc function: wrong shape, size, key, value or buffer.

    Subclasses :class:`ValueError`. The message names the module and the
    dict key or constructor argument at fault.
    """


class InputTypeError(TypeError):
    """Input of the wrong kind: a dtype or array namespace that does not fit.

    Subclasses :class:`TypeError`. The message names the module and the key.
    """


def _fold(key):
    return key.replace("_", "").replace("-", "").lower()


def suggest_key(key, allowed):
    """Return the allowed key that ``key`` most likely misspells, or None.

    Case and underscores are folded first (``grad_output`` -> ``gradOutput``),
    then :func:`difflib.get_close_matches` is asked.
    """
    if not isinstance(key, str):
        return None
    folded = _fold(key)
    for a in allowed:
        if _fold(a) == folded:
            return a
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        return close[0]
    by_fold = {_fold(a): a for a in allowed}
    close = difflib.get_close_matches(folded, list(by_fold), n=1, cutoff=0.6)
    return by_fold[close[0]] if close else None
