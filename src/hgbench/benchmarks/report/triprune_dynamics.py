"""TriPrune-HGNN's training dynamics (SPEC §4.2): Figures 2, 3, 4, 5 and 8 of the full model, Figure 6's
schedules (layout ``triprune-schedules``), and the measured findings on SPEC's hypotheses.

Every figure reads the stored per-run artifacts of the full model's runs (``triprune`` in the suite):

* Fig. 2: thresholds theta^(l) per level and lambda per term, per epoch (IMDB, Yelp, DBLP where present);
* Fig. 3: tau_i against the pruned degree at the checkpoint (IMDB), and tau's histogram against tau_0 = 0.5;
* Fig. 4: the top mined pairs at the checkpoint: alpha_fn and alpha_hn against similarity, coloured by Delta A;
* Fig. 5: retention r_comp, r_edge, r_node, r_prod and rho_nnz per epoch (log scale);
* Fig. 8: per meta-step the validation CE and ||g|| (IMDB, seeds 0-2).

Curves are means over the seeds stored. A figure without data is skipped and the reason is written to
``dynamics.md``, never an error. PNGs are written by matplotlib's Agg backend without a timestamp, so the
same store gives the same files.

The dynamics also become long-leaderboard rows of the ``triprune-main`` board (metrics ``dyn_*``, one row
per dataset for the full model), which the claims about the figures read.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from . import multimetric  # noqa: E402
from .figures import save_png  # noqa: E402
from .triprune_common import cell_status, fmt, label, markdown_table, ok_runs, paper_name, row, runs  # noqa: E402
from ...methods.triprune.controllers import LEVELS  # noqa: E402

FULL = "triprune"
TERMS = ("cls", "cl", "fn", "hard")
RETENTION = ("r_comp", "r_edge", "r_node", "r_prod", "rho_nnz")
FIG2_DATASETS = ("imdb", "yelp", "dblp")
TAU_0, THETA_0, LAMBDA_0 = 0.5, 0.5, 0.25
HUB_DEGREE, LOW_DEGREE = 50, 5  # the paper's Fig. 3 caption: hubs (degree > 50), low-degree (degree < 5)


# ----------------------------------------------------------------------------- per-run quantities
def _artifact(store, key: str, name: str) -> pd.DataFrame | None:
    table = store.trace(key) if name == "trace" else store.table(key, name)
    return table if table is not None and not table.empty else None


def _at_epoch(trace: pd.DataFrame | None, column: str, epoch: int) -> float:
    if trace is None or column not in trace or epoch not in set(trace.epoch):
        return np.nan
    return float(trace.loc[trace.epoch == epoch, column].iloc[0])


def _last(trace: pd.DataFrame | None, column: str) -> float:
    if trace is None or column not in trace:
        return np.nan
    values = trace[column].dropna()
    return float(values.iloc[-1]) if len(values) else np.nan


def run_dynamics(store, record: dict) -> dict[str, float]:
    """The ``dyn_*`` quantities of one full-model run (NaN where its artifacts lack them)."""
    key, diagnostics = record["key"], record.get("diagnostics") or {}
    trace = _artifact(store, key, "trace")
    meta = _artifact(store, key, "meta_steps")
    temps = _artifact(store, key, "temperatures")
    thresholds = diagnostics.get("final_thresholds") or {}
    lam = diagnostics.get("final_lambda") or {}
    retention = diagnostics.get("retention") or {}
    out = {f"dyn_theta_{level}": float(thresholds.get(level, np.nan)) for level in LEVELS}
    out["dyn_theta_max_dev"] = max((abs(v - THETA_0) for v in thresholds.values()), default=np.nan)
    out |= {f"dyn_lambda_{term}": float(lam.get(term, np.nan)) for term in TERMS}
    out["dyn_lambda_max_dev"] = max((abs(v - 1 / len(lam)) for v in lam.values()), default=np.nan)
    out["dyn_theta_comp_epoch30"] = _at_epoch(trace, "theta_comp", 30)
    out["dyn_theta_comp_epoch50"] = _at_epoch(trace, "theta_comp", 50)
    out |= {f"dyn_{name}": float(retention.get(name, np.nan)) for name in ("r_comp", "r_edge", "r_node", "r_overall",
                                                                            "r_prod", "rho_nnz")}
    for name in ("fn_alpha_mean", "hn_alpha_mean", "fn_selected_fraction", "hn_selected_fraction"):
        out[f"dyn_{name}_first"] = float(trace[name].dropna().iloc[0]) if trace is not None and name in trace \
            and trace[name].notna().any() else np.nan
        out[f"dyn_{name}_last"] = _last(trace, name)
    out["dyn_meta_grad_norm_first"] = float(meta.grad_norm.iloc[0]) if meta is not None else np.nan
    out["dyn_meta_grad_norm_last"] = float(meta.grad_norm.iloc[-1]) if meta is not None else np.nan
    out["dyn_meta_val_ce_first"] = float(meta.val_ce.iloc[0]) if meta is not None else np.nan
    out["dyn_meta_val_ce_last"] = float(meta.val_ce.iloc[-1]) if meta is not None else np.nan
    train, spent = diagnostics.get("train_seconds", np.nan), diagnostics.get("meta_seconds", np.nan)
    out["dyn_meta_overhead_pct"] = 100 * spent / (train - spent) if train and train > spent else np.nan
    at = temps[temps["at"] == "checkpoint"] if temps is not None else None
    if at is not None and len(at) > 2:
        out["dyn_tau_mean"] = float(at.tau.mean())
        out["dyn_tau_min"], out["dyn_tau_max"] = float(at.tau.min()), float(at.tau.max())
        from scipy import stats as ss  # here, not at import: the ZEN reports never test

        out["dyn_tau_degree_spearman"] = float(ss.spearmanr(at.degree, at.tau).statistic) \
            if at.tau.nunique() > 1 and at.degree.nunique() > 1 else np.nan
        hubs, low = at[at.degree > HUB_DEGREE], at[at.degree < LOW_DEGREE]
        out["dyn_tau_hub_mean"] = float(hubs.tau.mean()) if len(hubs) else np.nan
        out["dyn_tau_low_mean"] = float(low.tau.mean()) if len(low) else np.nan
    else:
        out |= {f"dyn_tau_{n}": np.nan for n in ("mean", "min", "max", "degree_spearman", "hub_mean", "low_mean")}
    return out


DYNAMICS = ("dyn_theta_comp", "dyn_theta_edge", "dyn_theta_node", "dyn_theta_max_dev", "dyn_lambda_cls",
            "dyn_lambda_cl", "dyn_lambda_fn", "dyn_lambda_hard", "dyn_lambda_max_dev", "dyn_theta_comp_epoch30",
            "dyn_theta_comp_epoch50", "dyn_r_comp", "dyn_r_edge", "dyn_r_node", "dyn_r_overall", "dyn_r_prod",
            "dyn_rho_nnz", "dyn_fn_alpha_mean_first", "dyn_fn_alpha_mean_last", "dyn_hn_alpha_mean_first",
            "dyn_hn_alpha_mean_last", "dyn_fn_selected_fraction_first", "dyn_fn_selected_fraction_last",
            "dyn_hn_selected_fraction_first", "dyn_hn_selected_fraction_last", "dyn_meta_grad_norm_first",
            "dyn_meta_grad_norm_last", "dyn_meta_val_ce_first", "dyn_meta_val_ce_last", "dyn_meta_overhead_pct",
            "dyn_tau_mean", "dyn_tau_min", "dyn_tau_max", "dyn_tau_degree_spearman", "dyn_tau_hub_mean",
            "dyn_tau_low_mean")


def dynamics_rows(data, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per dataset of the suite, one row per ``dyn_*`` metric of the full model: mean and std over its ok runs."""
    chosen = data.suite
    if FULL not in chosen.methods:
        return pd.DataFrame()
    frame = runs(data) if frame is None else frame
    rows = []
    for dataset in chosen.datasets:
        status, reason, budget = cell_status(frame, FULL, dataset)
        per_run = [run_dynamics(data.store, r) for r in ok_runs(frame, FULL, dataset).record]
        for metric in DYNAMICS:
            rows.append(row(chosen, FULL, dataset, metric, [r[metric] for r in per_run], status, budget=budget,
                            reason=reason))
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- the triprune-main layout
def main_board(data) -> pd.DataFrame:
    """Table 2's board with the full model's dynamics rows after it (what the figure claims read)."""
    return pd.concat([multimetric.board(data), dynamics_rows(data)], ignore_index=True)


def table2_part(board: pd.DataFrame) -> pd.DataFrame:
    return board[~board.metric.str.startswith("dyn_")].reset_index(drop=True)


def main_latex(board: pd.DataFrame, data) -> str:
    return multimetric.latex(table2_part(board), data)


def main_notes(board: pd.DataFrame, data, not_run: list[str]) -> str:
    return multimetric.notes(table2_part(board), data, not_run)


def main_metrics(chosen) -> tuple[str, ...]:
    return tuple(c.metric for c in multimetric.SCORES + multimetric.EFFICIENCY + multimetric.VALIDATION) + DYNAMICS


# ----------------------------------------------------------------------------- figures
def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    return save_png(fig, path, dpi=130)


def _traces(data, frame: pd.DataFrame, method: str, dataset: str) -> list[pd.DataFrame]:
    out = []
    for key in ok_runs(frame, method, dataset).key:
        trace = _artifact(data.store, key, "trace")
        if trace is not None:
            out.append(trace)
    return out


def _mean_curve(traces: list[pd.DataFrame], column: str) -> pd.Series:
    """Mean over runs per epoch (runs stopped early count until their last epoch)."""
    parts = [t.set_index("epoch")[column] for t in traces if column in t]
    return pd.concat(parts, axis=1).mean(axis=1).sort_index() if parts else pd.Series(dtype=float)


def figure2(data, frame, path: Path) -> tuple[Path | None, str]:
    found = {d: _traces(data, frame, FULL, d) for d in FIG2_DATASETS if d in data.suite.datasets}
    datasets = [d for d, traces in found.items() if traces]
    if not datasets:
        return None, "no full-model trace on IMDB, Yelp or DBLP yet"
    fig, axes = plt.subplots(len(datasets), 2, figsize=(8, 2.6 * len(datasets)), squeeze=False)
    for (left, right), dataset in zip(axes, datasets):
        traces = found[dataset]
        for level in LEVELS:
            curve = _mean_curve(traces, f"theta_{level}")
            left.plot(curve.index, curve.values, label=f"theta_{level}")
        left.axhline(THETA_0, color="grey", linestyle=":", linewidth=0.8)
        for term in TERMS:
            curve = _mean_curve(traces, f"lambda_{term}")
            if not curve.empty:
                right.plot(curve.index, curve.values, label=f"lambda_{term}")
        right.axhline(LAMBDA_0, color="grey", linestyle=":", linewidth=0.8)
        left.set_title(f"{paper_name(dataset)}: thresholds ({len(traces)} runs)", fontsize=9)
        right.set_title(f"{paper_name(dataset)}: loss weights", fontsize=9)
        right.ticklabel_format(axis="y", useOffset=False)
        for ax in (left, right):
            ax.set_xlabel("epoch", fontsize=8)
            ax.legend(fontsize=7)
    return _save(fig, path), ""


def figure3(data, frame, path: Path) -> tuple[Path | None, str]:
    tables = [t[t["at"] == "checkpoint"] for t in (_artifact(data.store, k, "temperatures")
                                                    for k in ok_runs(frame, FULL, "imdb").key) if t is not None]
    tables = [t for t in tables if not t.empty]
    if not tables:
        return None, "no full-model temperatures on IMDB yet"
    at = pd.concat(tables, ignore_index=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    left.scatter(at.degree, at.tau, s=3, alpha=0.3)
    left.axhline(TAU_0, color="red", linestyle="--", linewidth=0.8, label="tau_0 = 0.5")
    left.set_xscale("symlog", linthresh=1)
    left.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    left.set_xlabel("pruned degree at the checkpoint", fontsize=8)
    left.set_ylabel("tau_i", fontsize=8)
    left.set_title(f"IMDB: tau against degree ({len(tables)} runs)", fontsize=9)
    left.legend(fontsize=7)
    right.hist(at.tau, bins=40, color="tab:blue", alpha=0.8, label="adaptive tau_i")
    right.axvline(TAU_0, color="red", linestyle="--", linewidth=0.8, label="fixed tau = 0.5")
    right.set_xlabel("tau", fontsize=8)
    right.set_title("IMDB: distribution of tau_i", fontsize=9)
    right.legend(fontsize=7)
    return _save(fig, path), ""


def figure4(data, frame, path: Path) -> tuple[Path | None, str]:
    tables = [t for t in (_artifact(data.store, k, "mined_pairs") for k in ok_runs(frame, FULL, "imdb").key)
              if t is not None]
    if not tables:
        return None, "no mined pairs of the full model on IMDB yet"
    pairs = pd.concat(tables, ignore_index=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
    for ax, column in zip(axes, ("alpha_fn", "alpha_hn")):
        points = ax.scatter(pairs.similarity, pairs[column], c=pairs.delta_a, cmap="viridis", s=10, vmin=0, vmax=1)
        ax.axhline(0.5, color="grey", linestyle=":", linewidth=0.8)
        ax.set_xlabel("similarity s(z_i, z_j)", fontsize=8)
        ax.set_ylabel(column, fontsize=8)
        ax.set_title(f"IMDB, top pairs by alpha_fn: {column} ({len(tables)} runs)", fontsize=8)
    fig.colorbar(points, ax=list(axes), label="Delta A")
    fig.savefig(path, dpi=130, metadata={"Software": None})
    plt.close(fig)
    return path, ""


def figure5(data, frame, path: Path) -> tuple[Path | None, str]:
    found = {d: _traces(data, frame, FULL, d) for d in data.suite.datasets}
    datasets = [d for d, traces in found.items() if traces]
    if not datasets:
        return None, "no full-model trace yet"
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.2 * len(datasets), 2.8), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        traces = found[dataset]
        for name in RETENTION:
            curve = _mean_curve(traces, name)
            if not curve.empty:
                ax.plot(curve.index, curve.values, label=name)
        ax.set_yscale("log")
        ax.set_xlabel("epoch", fontsize=8)
        ax.set_title(f"{paper_name(dataset)}: retention ({len(traces)} runs)", fontsize=9)
        ax.legend(fontsize=6)
    return _save(fig, path), ""


def figure8(data, frame, path: Path) -> tuple[Path | None, str]:
    chosen = ok_runs(frame, FULL, "imdb")
    chosen = chosen[chosen.seed <= 2]
    tables = [(seed, t) for seed, t in ((s, _artifact(data.store, k, "meta_steps"))
                                        for s, k in zip(chosen.seed, chosen.key)) if t is not None]
    if not tables:
        return None, "no meta-steps of the full model on IMDB (seeds 0-2) yet"
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    for seed, steps in tables:
        x = np.arange(1, len(steps) + 1)
        left.plot(x, steps.val_ce, marker="o", markersize=3, label=f"seed {seed}")
        right.plot(x, steps.grad_norm, marker="o", markersize=3, label=f"seed {seed}")
    left.set_ylabel("validation CE", fontsize=8)
    right.set_ylabel("||g|| (meta-gradient)", fontsize=8)
    right.set_yscale("log")
    for ax in (left, right):
        ax.set_xlabel("meta-step", fontsize=8)
        ax.legend(fontsize=7)
    left.set_title("IMDB: validation loss per meta-step", fontsize=9)
    right.set_title("IMDB: meta-gradient norm", fontsize=9)
    return _save(fig, path), ""


FIGURES = {"fig2_thresholds_lambda": figure2, "fig3_temperatures": figure3, "fig4_mined_pairs": figure4,
           "fig5_retention": figure5, "fig8_meta_steps": figure8}


def main_figures(board: pd.DataFrame, data, folder: Path) -> dict[str, Path]:
    """The full model's Figures 2-5 and 8 and ``dynamics.md`` (what was drawn, what was skipped and why,
    and the measured findings on SPEC's hypotheses). Nothing when the suite has no full-model row."""
    if FULL not in data.suite.methods:
        return {}
    frame = runs(data)
    drawn, lines = {}, [f"# {data.suite.name}: dynamics of the full model (SPEC §4.2)", "",
                        "Figures from the stored artifacts of the full model's ok runs (means over seeds); "
                        "quantities at the checkpoint unless named otherwise.", ""]
    for name, draw in FIGURES.items():
        path, why = draw(data, frame, folder / f"{name}.png")
        if path is not None:
            drawn[name] = path
            lines.append(f"- `{name}.png`")
        else:
            lines.append(f"- {name}: skipped, {why}")
    lines += [""] + hypotheses(board)
    drawn["dynamics"] = folder / "dynamics.md"
    drawn["dynamics"].write_text("\n".join(lines) + "\n")
    return drawn


# ----------------------------------------------------------------------------- SPEC's hypotheses, measured
def _value(board: pd.DataFrame, metric: str, dataset: str) -> tuple[float, float, int]:
    rows = board[(board.metric == metric) & (board.dataset == dataset) & (board.status.isin(["ok", "partial"]))]
    return (float(rows["mean"].iloc[0]), float(rows["std"].iloc[0]), int(rows.n_runs.iloc[0])) if len(rows) \
        else (np.nan, np.nan, 0)


def hypotheses(board: pd.DataFrame) -> list[str]:
    """SPEC's expectations beside what the full model's runs show, per dataset (computed, never typed)."""
    dyn = board[board.metric.str.startswith("dyn_")] if not board.empty else board
    datasets = [d for d in dict.fromkeys(dyn.dataset) if _value(dyn, "dyn_theta_comp", d)[2]] if len(dyn) else []
    lines = ["## SPEC's hypotheses, as measured", ""]
    if not datasets:
        return lines + ["No full-model run is stored yet."]
    lines += ["- **Thresholds without a sparsity term stay near their start (0.5)** ([OD-8], [OD-20]): "
              "max over levels of |theta - 0.5| at the checkpoint.",
              "- **Mining attentions fall below 0.5 and switch their own losses off**: mean alpha_fn / alpha_hn "
              "at the first and last epoch, and the fraction of candidates selected (fn / hn) there.",
              "- **lambda barely leaves uniform** ([OD-12]): max |lambda - 0.25| at the checkpoint, and the "
              "meta-gradient norm of the first and last meta-step.",
              "- **Temperature direction** ([OD-18]): Spearman(tau_i, pruned degree) at the checkpoint (the paper "
              "says hubs get a higher tau in §4.7 and a lower one in §3.2).", ""]
    header = ["dataset", "runs", "max abs(theta - 0.5)", "alpha_fn first -> last", "alpha_hn first -> last",
              "fn selected first -> last", "hn selected first -> last", "max abs(lambda - 0.25)",
              "meta ||g|| first -> last", "tau mean [min, max]", "Spearman(tau, degree)",
              "meta-step overhead of training (%)"]
    table = []
    for d in datasets:
        def v(metric, decimals=3):
            return fmt(_value(dyn, metric, d)[0], decimals)

        def arrow(name, decimals=3):
            return f"{v(f'dyn_{name}_first', decimals)} -> {v(f'dyn_{name}_last', decimals)}"

        g_first, g_last = (_value(dyn, f"dyn_meta_grad_norm_{w}", d)[0] for w in ("first", "last"))
        table.append([paper_name(d), _value(dyn, "dyn_theta_comp", d)[2], v("dyn_theta_max_dev"),
                      arrow("fn_alpha_mean"), arrow("hn_alpha_mean"), arrow("fn_selected_fraction", 4),
                      arrow("hn_selected_fraction", 4), f"{_value(dyn, 'dyn_lambda_max_dev', d)[0]:.2e}",
                      f"{g_first:.2e} -> {g_last:.2e}",
                      f"{v('dyn_tau_mean')} [{v('dyn_tau_min')}, {v('dyn_tau_max')}]", v("dyn_tau_degree_spearman"),
                      v("dyn_meta_overhead_pct", 1)])
    lines += markdown_table(header, table)
    return lines


# ----------------------------------------------------------------------------- Figure 6: schedules
SCHEDULE_NAMES = {"learned": "learned", "exp": "exponential", "linear": "linear", "cosine": "cosine", "step": "step"}


def _schedule(method: str) -> str:
    return "learned" if method == FULL else method.removeprefix("triprune-")


def schedules_board(data) -> pd.DataFrame:
    """Final test MAE per schedule on the suite's datasets, with the checkpoint thresholds and final val MAE."""
    chosen, frame = data.suite, runs(data)
    rows = []
    for dataset in chosen.datasets:
        for method in chosen.methods:
            status, reason, budget = cell_status(frame, method, dataset)
            ok = ok_runs(frame, method, dataset)
            records = list(ok.record)
            thetas = {f"theta_{level}": np.nanmean([(r.get("diagnostics") or {}).get("final_thresholds", {})
                                                    .get(level, np.nan) for r in records]) if records else np.nan
                      for level in LEVELS}
            rows.append(row(chosen, method, dataset, "mae", [r["test"]["mae"] for r in records], status,
                            budget=budget, reason=reason, schedule=_schedule(method), **thetas))
    return pd.DataFrame(rows)


def schedules_latex(board: pd.DataFrame, data) -> str:
    mae = board[board.metric == "mae"]
    learned = mae[mae.method == FULL].set_index("dataset")["mean"]
    table = pd.DataFrame([{"Schedule": SCHEDULE_NAMES.get(r.schedule, r.schedule),
                           "Dataset": r.paper_dataset,
                           "Final test MAE": f"${r.mean:.3f}_{{\\pm {r.std:.3f}}}$" if np.isfinite(r.mean)
                           else r.status,
                           "vs learned (\\%)": f"{100 * (r.mean / learned.get(r.dataset, np.nan) - 1):+.1f}"
                           if np.isfinite(r.mean) and np.isfinite(learned.get(r.dataset, np.nan))
                           and r.method != FULL else "--"} for r in mae.itertuples()])
    caption = (f"Learned thresholds against fixed schedules ending at the learned thresholds (TriPrune-HGNN paper, "
               f"Figure 6). {data.provenance()} Fixed schedules start at 0.5 and end at the mean checkpoint "
               "thresholds of the full model's runs ([OD-20]).").replace("_", r"\_")
    return table.style.hide(axis="index").to_latex(hrules=True, caption=caption, label=f"tab:{data.suite.name}",
                                                   position="t", column_format="llcc")


def schedules_notes(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             "Final test MAE of the checkpoint per schedule (mean ± population std over seeds), with the checkpoint "
             "thresholds. Each fixed schedule starts at 0.5 and ends at the mean checkpoint thresholds of the full "
             "model's runs on the same dataset ([OD-20]); the exponential run is Table 4's. The paper's Figure 6 "
             "values are checked in claims.md (tri_fig6_schedules).", ""]
    table = []
    for cell in board.itertuples():
        thetas = " / ".join(fmt(getattr(cell, f"theta_{lv}")) for lv in LEVELS)
        table.append([SCHEDULE_NAMES.get(cell.schedule, cell.method), cell.paper_dataset,
                      fmt(cell.mean, 3, cell.std), thetas, cell.n_runs,
                      cell.status + (f" ({cell.reason})" if cell.reason else "")])
    lines += markdown_table(["schedule", "dataset", "test MAE", "theta comp / edge / node", "runs", "status"], table)
    lines += ["", "Figure `fig6_schedules.png`: thresholds per level and validation MAE per epoch, mean over seeds."]
    return "\n".join(lines) + "\n"


def schedules_figures(board: pd.DataFrame, data, folder: Path) -> dict[str, Path]:
    frame = runs(data)
    dataset = "imdb" if "imdb" in data.suite.datasets else data.suite.datasets[0]
    curves = {m: _traces(data, frame, m, dataset) for m in data.suite.methods}
    curves = {m: t for m, t in curves.items() if t}
    if not curves:
        return {}
    fig, axes = plt.subplots(1, 4, figsize=(13, 3))
    for method, traces in curves.items():
        name = f"{SCHEDULE_NAMES.get(_schedule(method), method)} ({len(traces)})"
        style = "-" if method == FULL else "--"
        for ax, column in zip(axes, [f"theta_{lv}" for lv in LEVELS] + ["val_mae"]):
            curve = _mean_curve(traces, column)
            ax.plot(curve.index, curve.values, style, label=name, linewidth=1.2)
    for ax, title in zip(axes, [f"theta_{lv}" for lv in LEVELS] + ["validation MAE"]):
        ax.set_title(f"{paper_name(dataset)}: {title}", fontsize=9)
        ax.set_xlabel("epoch", fontsize=8)
    axes[0].legend(fontsize=7, title="schedule (runs)", title_fontsize=7)
    return {"fig6_schedules": _save(fig, folder / "fig6_schedules.png")}


__all__ = ["main_board", "main_latex", "main_notes", "main_figures", "main_metrics", "schedules_board",
           "schedules_latex", "schedules_notes", "schedules_figures", "label"]
