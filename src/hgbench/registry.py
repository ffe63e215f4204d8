"""Named registries (methods, datasets, suites) and the plugins that add to them.

One :class:`Registry` per kind maps a name to an item. ``register`` adds one (a name registered
twice is an error); ``get`` and ``names`` read it. The first read loads the registry, once per
process, whatever was registered before it: first the built-ins, then the plugins of the kind's
entry-point group.

Plugins
-------
A distribution adds methods, datasets or suites through Python entry points in the groups
``hgbench.methods``, ``hgbench.datasets`` and ``hgbench.suites``::

    [project.entry-points."hgbench.methods"]
    my-methods = "my_package.bench:register_methods"   # recommended: a registration function
    prior = "my_package.bench:ClassPrior"              # hgbench.methods only: a Method subclass

The object an entry point names is either

* a callable taking no arguments that makes the registrations (``register_method``,
  ``hgbench.datasets.catalog.register``, ``register_suite``); it is called when the entry point's
  group is loaded, i.e. the first time that kind is looked up or listed, so put each kind's
  registrations in the matching group (a suite in ``hgbench.suites``, its new method in
  ``hgbench.methods``); or
* in ``hgbench.methods`` only, a :class:`~hgbench.methods.base.Method` subclass, registered under the
  entry point's name with its ``label``, ``paper_label`` and the first line of its docstring.

A plugin that fails to import or to register is skipped with a :class:`PluginWarning` naming the
entry point and the error; what it had registered in that group's registry is removed, and the
built-ins are unaffected. A plugin may not reuse a registered name (built-in or another plugin's).

This module imports nothing else from hgbench, so every layer may use it.
"""

from __future__ import annotations

import warnings
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class PluginWarning(UserWarning):
    """A plugin entry point could not be loaded; it was skipped."""


def call_registration(name: str, loaded: Any) -> None:
    """The default plugin contract: the entry point names a function of no arguments that registers."""
    if not callable(loaded):
        raise TypeError(f"{loaded!r} is not callable")
    loaded()


class Registry(Generic[T]):
    """Name -> item for one kind (``"method"``, ``"dataset"``, ``"suite"``).

    ``builtins`` registers the built-in items (it may also be a no-op when importing a module has
    registered them); ``group`` is the entry-point group of the kind's plugins and ``adopt(name,
    loaded)`` registers what one of its entry points names (default: :func:`call_registration`).
    """

    def __init__(self, kind: str, group: str | None = None, builtins: Callable[[], None] | None = None,
                 adopt: Callable[[str, Any], None] = call_registration) -> None:
        self.kind, self.group = kind, group
        self._builtins, self._adopt = builtins, adopt
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} registered twice")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        self.load()
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; valid names: {', '.join(self._items)}") from None

    def names(self) -> list[str]:
        self.load()
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        self.load()
        return name in self._items

    def load(self) -> None:
        """Register the built-ins, then the plugins; only the first call does anything."""
        if self._loaded:
            return
        self._loaded = True  # first: a plugin may read the registry while it registers
        if self._builtins is not None:
            self._builtins()
        if self.group is not None:
            for entry_point in entry_points(group=self.group):
                self._load_plugin(entry_point)

    def _load_plugin(self, entry_point: EntryPoint) -> None:
        before = set(self._items)
        try:
            self._adopt(entry_point.name, entry_point.load())
        except Exception as exc:  # a broken plugin must not take the built-ins down with it
            for name in set(self._items) - before:
                del self._items[name]
            warnings.warn(f"hgbench plugin {entry_point.name!r} ({entry_point.value}, group {self.group}) skipped: "
                          f"{type(exc).__name__}: {exc}", PluginWarning, stacklevel=4)  # the caller of get or names
