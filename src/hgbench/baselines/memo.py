"""The last value a network computed from its inputs, reused while the inputs are unchanged.

A network's first layer may turn its features into another form once (a sparse matrix, their
propagation ``N(H) X``) instead of every step. :class:`LastValue` keeps that value while the inputs
are the same objects (compared by identity, through weak references: the memo keeps none alive)
at the same versions (``Tensor._version`` counts in-place changes). The network keeps it as a plain
attribute, not a module: nothing enters its ``state_dict``, and copies and pickles start empty.
"""

from __future__ import annotations

import weakref
from typing import Any, Callable, Hashable


class LastValue:
    def __init__(self) -> None:
        self._sources: tuple[weakref.ref, ...] | None = None
        self._versions: Hashable = None
        self._value: Any = None

    def __getstate__(self) -> dict:
        return {}

    def __setstate__(self, state: dict) -> None:
        self.__init__()

    def get(self, sources: tuple, versions: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, or its value from the last call whose ``sources`` and ``versions`` these are."""
        if (self._sources is None or len(self._sources) != len(sources) or self._versions != versions
                or any(ref() is not source for ref, source in zip(self._sources, sources))):
            self._value = compute()
            self._sources, self._versions = tuple(weakref.ref(source) for source in sources), versions
        return self._value
