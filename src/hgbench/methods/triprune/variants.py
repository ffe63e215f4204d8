"""TriPrune-HGNN's variants (SPEC §3): registry name -> (row label, the defaults it overrides).

Each replaces exactly one thing of the full model (``triprune``); a table's default row is the
full model itself, so a run is shared by every table that shows it (Table 2, 4, 5, 6, 9, 10).
"""

from __future__ import annotations

from typing import Any

# Table 4: each learned part replaced by a fixed heuristic; schedules end where the full model's thresholds do
FIXED_END = {"threshold_end": "full"}
TABLE4 = {
    "triprune-exp": ("w/o Neural Threshold", {"threshold": "exp", **FIXED_END}),
    "triprune-fixed-mining": ("w/o Attention Mining", {"mining": "fixed"}),
    "triprune-no-meta": ("w/o Meta-Learning", {"meta": "off"}),
    "triprune-global-tau": ("w/o Adaptive Temperature", {"temperature": "global"}),
    "triprune-all-fixed": ("All Fixed", {"threshold": "exp", **FIXED_END, "mining": "fixed", "meta": "off",
                                         "temperature": "global"}),
}
# Table 5: structural removals
TABLE5 = {
    "triprune-no-comp": ("w/o Comp", {"prune": "edge+node"}),
    "triprune-no-edge": ("w/o Edge", {"prune": "comp+node"}),
    "triprune-no-node": ("w/o Node", {"prune": "comp+edge"}),
    "triprune-no-fn": ("w/o FN", {"losses": "cls+cl+hard"}),
    "triprune-no-hn": ("w/o HN", {"losses": "cls+cl+fn"}),
    "triprune-no-all": ("w/o All", {"prune": "none", "losses": "cls+cl"}),
}
# Table 6 (and Table 9's d_hidden rows): the adaptive MLPs' depth (linear layers) and width. A 1-layer MLP has
# no hidden width, so the paper's "1-layer, d_h=16" row is the same model as "1-layer, d_h=32": run once ([OD-26])
TABLE6 = {
    f"triprune-d{depth}-w{width}": (f"{depth}-layer, d_h={width}",
                                    {"controller_depth": depth, "controller_width": width})
    for depth, width in ((1, 32), (3, 32), (4, 32), (2, 16), (2, 64), (2, 128), (4, 128))
}
SAME_MODEL_ROWS = {"1-layer, d_h=16": "triprune-d1-w32"}  # paper rows a run of another row answers
# Table 9: meta-learning rate and interval
TABLE9 = {
    **{f"triprune-eta{eta}": (f"eta_meta={eta}", {"eta_meta": eta}) for eta in (0.001, 0.005, 0.05, 0.1)},
    **{f"triprune-every{every}": (f"Delta_meta={every}", {"meta_every": every}) for every in (1, 3, 10, 20)},
}
# Table 10: meta-gradient routes (FD at delta 1e-5 is the full model)
TABLE10 = {
    "triprune-fd1e-6": ("FD (delta=1e-6)", {"meta_delta": 1e-6}),
    "triprune-fd1e-4": ("FD (delta=1e-4)", {"meta_delta": 1e-4}),
    "triprune-exact": ("Exact (Hessian-vector)", {"meta": "exact"}),
    "triprune-meta-probe": ("meta-gradient probe", {"meta_probe": True}),
}
# Figure 6: fixed threshold schedules beside the learned one (exp is Table 4's run)
FIGURE6 = {f"triprune-{kind}": (f"{kind} schedule", {"threshold": kind, **FIXED_END})
           for kind in ("linear", "cosine", "step")}
# Table 7 and Table 8
OTHERS = {
    "triprune-transfer": ("Learned (frozen)", {"transfer_from": "paper-pairs"}),
    "triprune-profiled": ("TriPrune-HGNN (profiled)", {"profile_parts": True}),
    # the unpruned backbone trained by the same loop: the reference of the training overhead (SPEC §4.1)
    "triprune-backbone": ("Unpruned backbone", {"prune": "none", "losses": "cls", "meta": "off",
                                                "temperature": "global"}),
}
# opt-in alternatives the paper does not have (SPEC [OD-8], [OD-14], [OD-15])
OPT_IN = {
    "triprune-budget": ("+ budget regulariser", {"budget_reg": 0.1}),
    "triprune-hinge": ("hinge hard loss", {"hard_loss": "hinge"}),
}

VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {**TABLE4, **TABLE5, **TABLE6, **TABLE9, **TABLE10, **FIGURE6,
                                                    **OTHERS, **OPT_IN}
