"""Name -> method factory, with the label each paper prints for it.

Methods register here once; suites, the CLI and reports refer to them by name only. Trained
baselines come from :data:`hgbench.baselines.BASELINES` (one small file per model family).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...methods.base import Method
from ...methods.zen import ZEN


@dataclass(frozen=True)
class MethodEntry:
    name: str
    factory: Callable[[], Method]
    label: str  # the name the paper tables use
    description: str = ""
    paper_label: str | None = None  # the paper row it is compared with, when not its own label (probes)

    @property
    def paper_row(self) -> str:
        return self.paper_label or self.label


_METHODS: dict[str, MethodEntry] = {}


def register_method(name: str, factory: Callable[[], Method], label: str, description: str = "",
                    paper_label: str | None = None) -> None:
    if name in _METHODS:
        raise ValueError(f"method {name!r} registered twice")
    _METHODS[name] = MethodEntry(name, factory, label, description, paper_label)


def method_entry(name: str) -> MethodEntry:
    _ensure_registered()
    try:
        return _METHODS[name]
    except KeyError:
        raise KeyError(f"unknown method {name!r}; valid names: {', '.join(_METHODS)}") from None


def method_names() -> list[str]:
    _ensure_registered()
    return list(_METHODS)


def _ensure_registered() -> None:
    if _METHODS:
        return
    zen_variants = {
        "zen": ("full", "ZEN"),
        "zen-no-tcs": ("no-tcs", "No TCS"),
        "zen-no-rap": ("no-rap", "No RAP"),
        "zen-no-tcs-no-rap": ("no-tcs-no-rap", "No TCS, No RAP"),
        "linearized-hgnn": ("linearized-hgnn", "Linearized HGNN"),
    }
    for name, (variant, label) in zen_variants.items():
        register_method(name, lambda v=variant: ZEN(variant=v), label, f"ZEN variant '{variant}' (Table 6)")
    register_method("zen-weights", lambda: ZEN(record_weights=True), "ZEN",
                    "ZEN recording its class-by-feature weights W* (Table 5)")
    try:
        from ...baselines import BASELINES, PROBES
    except ImportError:  # baselines not installed in this checkout
        BASELINES, PROBES = {}, {}
    for name, cls in {**BASELINES, **PROBES}.items():
        register_method(name, cls, getattr(cls, "label", cls.__name__), (cls.__doc__ or "").strip().split("\n")[0],
                        getattr(cls, "paper_label", None))
