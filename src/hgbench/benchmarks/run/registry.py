"""Name -> method factory, with the label each paper prints for it.

Methods register here once; suites, the CLI and reports refer to them by name only. Trained
baselines come from :data:`hgbench.baselines.BASELINES` (one small file per model family); other
packages add methods through the ``hgbench.methods`` entry-point group (:mod:`hgbench.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ...methods.base import Method
from ...methods.triprune.method import TriPrune
from ...methods.triprune.variants import VARIANTS
from ...methods.zen import ZEN
from ...methods.zen_tcs import TCSError
from ...registry import Registry, call_registration


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


def register_method(name: str, factory: Callable[[], Method], label: str, description: str = "",
                    paper_label: str | None = None) -> None:
    METHODS.register(name, MethodEntry(name, factory, label, description, paper_label))


def register_class(name: str, cls: type[Method]) -> None:
    """Register a Method subclass under ``name`` with its ``label``, ``paper_label`` and docstring's first line."""
    register_method(name, cls, getattr(cls, "label", cls.__name__), (cls.__doc__ or "").strip().split("\n")[0],
                    getattr(cls, "paper_label", None))


def method_entry(name: str) -> MethodEntry:
    return METHODS.get(name)


def method_names() -> list[str]:
    return METHODS.names()


def _register_builtins() -> None:
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
    register_class(TCSError.name, TCSError)
    try:
        from ...baselines import BASELINES, CONTROLS, PROBES, TRIPRUNE_BASELINES
    except ImportError:  # baselines not installed in this checkout
        BASELINES, CONTROLS, PROBES, TRIPRUNE_BASELINES = {}, {}, {}, {}
    for name, cls in {**BASELINES, **PROBES, **TRIPRUNE_BASELINES, **CONTROLS}.items():
        register_class(name, cls)
    register_class(TriPrune.name, TriPrune)
    for name, (label, overrides) in VARIANTS.items():
        register_method(name, lambda o=overrides: TriPrune(keeps_modules=False, **o), label,
                        f"TriPrune-HGNN variant: {', '.join(f'{k}={v}' for k, v in overrides.items())}")


def _adopt(name: str, loaded: object) -> None:
    """An ``hgbench.methods`` entry point: a Method subclass (registered as ``name``) or a registration function."""
    if isinstance(loaded, type) and issubclass(loaded, Method):
        register_class(name, loaded)
    else:
        call_registration(name, loaded)


METHODS: Registry[MethodEntry] = Registry("method", "hgbench.methods", _register_builtins, _adopt)
