"""TriPrune-HGNN Tables 7 (transfer), 8 (efficiency breakdown) and 10 (meta-gradient routes).

* ``triprune-transfer`` (Table 7): per target of the paper's pairs (``PAPER_PAIRS``), the frozen modules'
  MAE (``triprune-transfer``) against the All-Fixed variant trained on the target ("Fixed Baseline"),
  Delta = (learned - fixed) / fixed in %, the average Delta, a paired t-test over the seeds both have, and
  the source each row used; cells that have not run or failed show why.
* ``triprune-efficiency`` (Table 8): the parts the runner profiled on ``triprune-profiled`` runs (message
  passing on the deployed graph, controllers -> gates -> compaction, the two mining attentions), the
  meta-step's mean seconds (a training-time figure), their total and shares, and the speed-up of the
  deployed message passing over the unpruned backbone timed in the same run, beside rho_nnz and r_overall.
* ``triprune-meta-gradient`` (Table 10): the probe's relative error of FD against exact per delta in
  float32 and float64 (``triprune-meta-probe`` runs), seconds per evaluation per route, and the final
  test MAE of full training runs per route.

Paper values are read from the paper's CSVs and printed beside ours; prose never carries a measured number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .paper import paper_table
from .triprune_common import cell_status, fmt, label, markdown_table, ok_runs, paper_name, row, runs
from ...methods.triprune.method import PAPER_PAIRS

FULL, FIXED, TRANSFER = "triprune", "triprune-all-fixed", "triprune-transfer"


def _paper(csv: str, method: str, dataset: str, metric: str) -> tuple[float, float] | None:
    table = paper_table(csv)
    rows = table[(table.method == method) & (table.dataset == dataset) & (table.metric == metric)]
    if rows.empty or not np.isfinite(rows["mean"].iloc[0]):
        return None
    std = rows["std"].iloc[0]
    return float(rows["mean"].iloc[0]), float(std) if pd.notna(std) else np.nan


def _status_text(r) -> str:
    return r.status + (f" ({r.reason})" if isinstance(r.reason, str) and r.reason else "")


def _tex(text: str) -> str:
    return str(text).replace("\\", "/").replace("_", r"\_").replace("%", r"\%").replace("&", r"\&") \
        .replace("#", r"\#").replace("$", r"\$")


# ============================================================================= Table 7
T7 = "triprune_table7_transfer.csv"
PAPER_T7 = {TRANSFER: "Learned (frozen)", FIXED: "Fixed Baseline"}
DELTA_PAPER = ("Learned (frozen) vs Fixed Baseline", "Δ (relative MAE change)")


def transfer_targets(chosen) -> list[str]:
    """The paper's order of targets (DBLP, Yelp, Amazon, Douban, IMDB), those the suite has."""
    return [t for t in PAPER_PAIRS if t in chosen.datasets]


def transfer_board(data) -> pd.DataFrame:
    chosen, frame = data.suite, runs(data)
    rows, deltas = [], []
    for target in transfer_targets(chosen):
        source = PAPER_PAIRS[target]
        maes = {}
        for method in (TRANSFER, FIXED, FULL):
            status, reason, budget = cell_status(frame, method, target)
            ok = ok_runs(frame, method, target)
            maes[method] = dict(zip(ok.seed, (r["test"]["mae"] for r in ok.record)))
            used = sorted({(r.get("diagnostics") or {}).get("transfer_source") or "" for r in ok.record} - {""})
            paper = _paper(T7, PAPER_T7[method], paper_name(target), "MAE") if method in PAPER_T7 else None
            rows.append(row(chosen, method, target, "mae", maes[method].values(), status, paper, budget,
                            reason=reason, source=paper_name(source) if method == TRANSFER else "",
                            source_used=",".join(paper_name(u) for u in used), p=np.nan, n_pairs=0))
        learned, fixed = maes[TRANSFER], maes[FIXED]
        shared = sorted(set(learned) & set(fixed))
        ok = bool(learned) and bool(fixed)
        mean_learned, mean_fixed = (np.mean(list(v.values())) if v else np.nan for v in (learned, fixed))
        delta = 100 * (mean_learned - mean_fixed) / mean_fixed if ok else np.nan
        per_seed = [100 * (learned[s] - fixed[s]) / fixed[s] for s in shared]
        from scipy import stats as ss  # here, not at import: the ZEN reports never test

        p = float(ss.ttest_rel([learned[s] for s in shared], [fixed[s] for s in shared]).pvalue) \
            if len(shared) >= 2 and np.ptp([learned[s] - fixed[s] for s in shared]) > 0 else np.nan
        status = rows[-3]["status"] if not ok else ("ok" if rows[-3]["status"] == rows[-2]["status"] == "ok"
                                                    else "partial")
        if not ok and rows[-3]["status"] == "ok":
            status = rows[-2]["status"]
        reason = "; ".join(dict.fromkeys(r["reason"] for r in rows[-3:-1] if r["reason"]))
        delta_row = row(chosen, TRANSFER, target, "delta_pct", [delta] if ok else [], status,
                        _paper(T7, *DELTA_PAPER[:1], paper_name(target), DELTA_PAPER[1]), reason=reason,
                        source=paper_name(source), source_used=rows[-3]["source_used"], p=p, n_pairs=len(shared))
        delta_row["std"] = float(np.std(per_seed)) if per_seed else np.nan  # over the shared seeds' Deltas
        rows.append(delta_row)
        deltas.append(delta_row)
    finite = [d["mean"] for d in deltas if np.isfinite(d["mean"])]
    status = "ok" if deltas and len(finite) == len(deltas) else ("partial" if finite else "pending")
    rows.append(row(chosen, TRANSFER, "average", "delta_pct", finite, status,
                    _paper(T7, DELTA_PAPER[0], "Average", DELTA_PAPER[1]), source="", source_used="", p=np.nan,
                    n_pairs=len(finite), reason=f"{len(finite)} of {len(deltas)} targets"))
    return pd.DataFrame(rows)


def transfer_latex(board: pd.DataFrame, data) -> str:
    lines = []
    by = board.set_index(["method", "dataset", "metric"])
    for target in transfer_targets(data.suite):
        learned, fixed, delta = (by.loc[(m, target, k)] for m, k in ((TRANSFER, "mae"), (FIXED, "mae"),
                                                                       (TRANSFER, "delta_pct")))
        lines.append([f"{paper_name(PAPER_PAIRS[target])} $\\to$ {paper_name(target)}",
                      _num(learned.paper_mean), _cell(learned), _num(fixed.paper_mean), _cell(fixed),
                      _num(delta.paper_mean, 1, "+"), _cell(delta, 1, "+"), _p(delta.p)])
    average = by.loc[(TRANSFER, "average", "delta_pct")]
    lines.append(["Average $\\Delta$", "--", "--", "--", "--", _num(average.paper_mean, 1, "+"),
                  _cell(average, 1, "+"), "--"])
    header = pd.MultiIndex.from_tuples([("", "Source $\\to$ Target"), ("Learned (frozen)", "paper"),
                                        ("Learned (frozen)", "ours"), ("Fixed Baseline", "paper"),
                                        ("Fixed Baseline", "ours"), ("$\\Delta$ (\\%)", "paper"),
                                        ("$\\Delta$ (\\%)", "ours"), ("", "$p$")])
    caption = (f"{_tex(data.suite.table.title)}. {data.provenance()} Learned (frozen): the full model's modules and "
               "lambda from the same seed on the source, frozen; Fixed Baseline: All-Fixed trained on the target; "
               "$\\Delta$ = (learned $-$ fixed) / fixed of the means; $p$: paired t-test over the seeds both have. "
               "Cells without a value name their status (notes.md gives the reason).")
    return pd.DataFrame(lines, columns=header).style.hide(axis="index").to_latex(
        hrules=True, multicol_align="c", caption=caption, label=f"tab:{data.suite.name}", position="t",
        column_format="l" + "c" * 7)


def _num(value: float, decimals: int = 3, sign: str = "") -> str:
    return f"{value:{sign}.{decimals}f}" if np.isfinite(value) else "--"


def _cell(r, decimals: int = 3, sign: str = "") -> str:
    if not np.isfinite(r["mean"]):
        return _tex(r.status)
    std = f"_{{\\pm {r['std']:.{decimals}f}}}" if np.isfinite(r["std"]) else ""
    return f"${r['mean']:{sign}.{decimals}f}{std}$"


def _p(p: float) -> str:
    return f"{p:.3g}" if np.isfinite(p) else "--"


def transfer_notes(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             "Per target of the paper's pairs ([OD-24]): Learned (frozen) = `triprune-transfer` (the full model's "
             "modules and final lambda, trained with the same seed on the source, frozen; the backbone is trained on "
             "the target), Fixed Baseline = `triprune-all-fixed` on the target, and the full model in-domain for "
             "reference. Delta = (mean learned - mean fixed) / mean fixed in %, its ± the population std of the "
             "per-seed Deltas over the seeds both have; p: paired t-test over those seeds (two-sided, "
             "scipy.stats.ttest_rel; none with fewer than 2 pairs).", ""]
    table = []
    for r in board.itertuples():
        table.append([r.label, r.paper_dataset, r.metric, r.source or "-", r.source_used or "-",
                      fmt(r.mean, 1 if r.metric == "delta_pct" else 3, r.std),
                      fmt(r.paper_mean, 1 if r.metric == "delta_pct" else 3), _p(r.p), r.n_runs, _status_text(r)])
    lines += markdown_table(["row", "target", "metric", "paper source", "source used", "ours", "paper", "p", "runs",
                             "status"], table)
    average = board[(board.dataset == "average")].iloc[0]
    lines += ["", f"Average Delta over the targets with both cells ok: {fmt(average['mean'], 2)} % "
              f"({average.reason}); the paper's: {fmt(average.paper_mean, 1)} %."]
    return "\n".join(lines) + "\n"


# ============================================================================= Table 8
T8 = "triprune_table8_efficiency.csv"
PROFILED = "triprune-profiled"
BACKBONE = "triprune-backbone"
# (part, the profile that times it, the paper's row)
PARTS = (("message_passing", "message_passing", "Hypergraph Message Passing"),
         ("controllers", "controllers", "Neural Threshold Controllers"),
         ("mining", "mining", "Attention-Based Mining"),
         ("meta_update", None, "Meta-Learning Update"),
         ("other", None, "Other Overhead"),
         ("total", None, "Total (TriPrune-HGNN)"))
EFFICIENCY = tuple(f"{kind}_{part}" for part, _, _ in PARTS for kind in ("time_ms", "memory_mb", "share_pct")) + (
    "share_pct_adaptive", "time_ms_unpruned_message_passing", "memory_mb_unpruned_message_passing", "speedup_time",
    "speedup_memory", "message_passing_change_pct", "rho_nnz", "r_overall", "inverse_rho_nnz", "deployed_predict_ms")


def _meta_steps(data, run) -> int:
    steps = data.store.table(run.key, "meta_steps")
    if steps is not None:
        return len(steps)
    params = run.record.get("params") or {}
    return int((run.record.get("diagnostics") or {}).get("epochs_trained", 0)) // int(params.get("meta_every", 5))


def efficiency_values(data, run) -> dict[str, float]:
    """Table 8's quantities of one profiled run."""
    record = run.record
    profiles = record.get("profiles") or {}
    diagnostics = record.get("diagnostics") or {}
    out = {}
    for part, profile, _ in PARTS:
        if profile is not None:
            found = profiles.get(profile) or {}
            out[f"time_ms_{part}"] = 1e3 * found.get("inference_seconds", np.nan)
            out[f"memory_mb_{part}"] = found.get("inference_peak_mb", np.nan)
    steps = _meta_steps(data, run)
    out["time_ms_meta_update"] = 1e3 * diagnostics.get("meta_seconds", np.nan) / steps if steps else np.nan
    out["memory_mb_meta_update"] = np.nan  # not profiled
    out["time_ms_other"] = out["memory_mb_other"] = np.nan  # no end-to-end call is timed: total - rows unknown
    rows = [out[f"time_ms_{p}"] for p in ("message_passing", "controllers", "mining", "meta_update")]
    out["time_ms_total"] = float(np.sum(rows)) if np.isfinite(rows).all() else np.nan
    memory = [out[f"memory_mb_{p}"] for p in ("message_passing", "controllers", "mining")]
    out["memory_mb_total"] = float(np.max(memory)) if np.isfinite(memory).all() else np.nan
    for part, _, _ in PARTS:
        out[f"share_pct_{part}"] = 100 * out[f"time_ms_{part}"] / out["time_ms_total"]
    out["share_pct_adaptive"] = sum(out[f"share_pct_{p}"] for p in ("controllers", "mining", "meta_update"))
    unpruned = profiles.get("unpruned_message_passing") or {}
    out["time_ms_unpruned_message_passing"] = 1e3 * unpruned.get("inference_seconds", np.nan)
    out["memory_mb_unpruned_message_passing"] = unpruned.get("inference_peak_mb", np.nan)
    out["speedup_time"] = out["time_ms_unpruned_message_passing"] / out["time_ms_message_passing"]
    out["speedup_memory"] = out["memory_mb_unpruned_message_passing"] / out["memory_mb_message_passing"]
    out["message_passing_change_pct"] = 100 * (1 / out["speedup_time"] - 1)
    retention = diagnostics.get("retention") or {}
    out["rho_nnz"], out["r_overall"] = retention.get("rho_nnz", np.nan), retention.get("r_overall", np.nan)
    out["inverse_rho_nnz"] = 1 / out["rho_nnz"] if out["rho_nnz"] else np.nan
    out["deployed_predict_ms"] = 1e3 * (record.get("inference_seconds") or np.nan)
    return {k: float(v) if v is not None else np.nan for k, v in out.items()}


def _t8_paper(metric: str) -> tuple[float, float] | None:
    kind, part = metric.split("_", 2)[:2], metric.split("_", 2)[-1]
    names = {p: paper for p, _, paper in PARTS}
    if metric.startswith(("time_ms_", "memory_mb_", "share_pct_")) and part in names:
        return _paper(T8, names[part], "IMDB", {"time": "Time", "memory": "Memory", "share": "% of Total"}[kind[0]])
    if metric in ("speedup_time", "speedup_memory"):  # against HEAL in the paper ([OD-28])
        return _paper(T8, "Speedup", "IMDB", "Time speedup" if metric == "speedup_time" else "Memory reduction")
    if metric == "share_pct_adaptive":
        parts = [_paper(T8, names[p], "IMDB", "% of Total") for p in ("controllers", "mining", "meta_update")]
        return (sum(p[0] for p in parts), np.nan) if all(parts) else None
    if metric == "message_passing_change_pct":
        total, heal = _paper(T8, "Total (TriPrune-HGNN)", "IMDB", "Time"), _paper(T8, "Baseline (HEAL, unpruned)",
                                                                                   "IMDB", "Time")
        return (100 * (total[0] / heal[0] - 1), np.nan) if total and heal else None
    return None


def efficiency_board(data) -> pd.DataFrame:
    chosen, frame = data.suite, runs(data)
    rows = []
    for dataset in chosen.datasets:
        status, reason, budget = cell_status(frame, PROFILED, dataset)
        per_run = [efficiency_values(data, run) for run in ok_runs(frame, PROFILED, dataset).itertuples()]
        for metric in EFFICIENCY:
            values = [r[metric] for r in per_run]
            not_measured = metric.endswith("_other") or metric == "memory_mb_meta_update"
            rows.append(row(chosen, PROFILED, dataset, metric, values,
                            "not measured" if not_measured and status == "ok" else status, _t8_paper(metric),
                            budget, reason=reason))
        rows += _training_overhead(chosen, frame, dataset)
    return pd.DataFrame(rows)


TRAINING = ("seconds_per_epoch", "training_overhead_pct")  # Table 8's board also carries the training overhead


def _training_overhead(chosen, frame: pd.DataFrame, dataset: str) -> list[dict]:
    """Training seconds per epoch of the full model and of the unpruned backbone trained by the same loop
    (``triprune-backbone``: nothing pruned, CE only, no meta-steps), and the full model's overhead over it in %
    (ratio of the means; the paper: about 15%)."""
    per_epoch = {method: [r.record["diagnostics"].get("seconds_per_epoch", np.nan)
                          for r in ok_runs(frame, method, dataset).itertuples()] for method in (PROFILED, BACKBONE)}
    out = [row(chosen, method, dataset, "seconds_per_epoch", values, cell_status(frame, method, dataset)[0])
           for method, values in per_epoch.items()]
    full, backbone = (np.mean(v) if v else np.nan for v in per_epoch.values())
    overhead = 100 * (full / backbone - 1) if np.isfinite(full) and np.isfinite(backbone) and backbone > 0 else np.nan
    status = "ok" if np.isfinite(overhead) else "pending"
    out.append(row(chosen, PROFILED, dataset, "training_overhead_pct", [overhead], status, (15.0, np.nan)))
    return out


def _t8_rows(board: pd.DataFrame, dataset: str) -> list[tuple]:
    by = board[(board.dataset == dataset) & (board.method == PROFILED)].set_index("metric")
    out = []
    for part, _, paper in PARTS:
        out.append((paper, *(by.loc[f"{kind}_{part}"] for kind in ("time_ms", "memory_mb", "share_pct"))))
    return out


def efficiency_latex(board: pd.DataFrame, data) -> str:
    lines = []
    dataset = data.suite.datasets[0]
    for name, time, memory, share in _t8_rows(board, dataset):
        lines.append([name + (" $^{\\dagger}$" if name == "Meta-Learning Update" else ""),
                      _num(time.paper_mean, 0), _t8(time, 2), _num(memory.paper_mean, 0), _t8(memory, 1),
                      _num(share.paper_mean, 1), _t8(share, 1)])
    by = board[(board.dataset == dataset) & (board.method == PROFILED)].set_index("metric")
    for metric, name in (("speedup_time", "Speed-up, time ($\\times$)"), ("speedup_memory",
                                                                          "Speed-up, memory ($\\times$)")):
        lines.append([name + " $^{\\ddagger}$", _num(by.loc[metric].paper_mean, 1), _t8(by.loc[metric], 2),
                      "", "", "", ""])
    lines.append(["$1/\\rho_{nnz}$ (retained work)", "--", _t8(by.loc["inverse_rho_nnz"], 2), "", "", "", ""])
    header = pd.MultiIndex.from_tuples([("", "Component"), ("Time (ms)", "paper"), ("Time (ms)", "ours"),
                                        ("Memory (MB)", "paper"), ("Memory (MB)", "ours"),
                                        ("\\% of Total", "paper"), ("\\% of Total", "ours")])
    caption = (f"{_tex(data.suite.table.title)}, {paper_name(dataset)}. {data.provenance()} Ours: median of timed "
               "calls on this machine (CPU), peak memory increment per phase. $^{\\dagger}$ the mean seconds of one "
               "meta-step during training (a training-time figure; its memory is not profiled). Total: sum of the "
               "measured rows (no end-to-end call is timed, so Other Overhead is not measured); memory total: the "
               "largest peak of the rows. $^{\\ddagger}$ ours: the unpruned backbone (all gates 1) over the deployed "
               "message passing, timed in the same run; the paper's: HEAL over TriPrune-HGNN's total ([OD-28]; HEAL's "
               "and TriPrune-HGNN's Table 2 rows are compared in claims.md).")
    return pd.DataFrame(lines, columns=header).style.hide(axis="index").to_latex(
        hrules=True, multicol_align="c", caption=caption, label=f"tab:{data.suite.name}", position="t",
        column_format="l" + "c" * 6)


def _t8(r, decimals: int) -> str:
    if not np.isfinite(r["mean"]):
        return "--" if r.status in ("ok", "not measured") else _tex(r.status)
    return f"{r['mean']:.{decimals}f}"


def efficiency_notes(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             "Rows (SPEC §4.1): message passing = the backbone forward on the compacted (deployed) graph; "
             "controllers = the stored state vectors -> 3 controllers -> importance scores -> gates, floors and "
             "compaction; mining = one forward of Attn_fn and Attn_hn over one anchor batch's candidates (not "
             "needed to predict; timed because the paper lists it); meta-learning update = the run's meta-step "
             "seconds over its number of meta-steps, **a training-time figure**, not part of inference. Total = "
             "the sum of these rows: no end-to-end call is timed, so Other Overhead (total - rows in SPEC) is not "
             "measured here. Memory: the peak increment of each phase; the total is the largest of them.",
             "",
             "Speed-up: the unpruned backbone (all gates 1, the same weights) over the deployed message passing, "
             "timed in the same run ([OD-21], [OD-28]): the honest pruning speed-up. It should follow 1/rho_nnz "
             "(the share of incidence entries kept). The paper's speed-up is against HEAL ([OD-28]): the claims "
             "about it (claims.md) compare HEAL's and TriPrune-HGNN's Table 2 runs on IMDB, each timed in its own run. "
             "Compare ratios, not absolute milliseconds (the paper's are on a GPU).", ""]
    for dataset in chosen.datasets:
        table = []
        for name, time, memory, share in _t8_rows(board, dataset):
            table.append([name, fmt(time["mean"], 2, time["std"]), fmt(time.paper_mean, 0),
                          fmt(memory["mean"], 1, memory["std"]), fmt(memory.paper_mean, 0), fmt(share["mean"], 1),
                          fmt(share.paper_mean, 1), time.n_runs, _status_text(time)])
        lines += [f"## {paper_name(dataset)}", ""]
        lines += markdown_table(["row", "time ms (ours)", "time ms (paper)", "memory MB (ours)", "memory MB (paper)",
                                 "% of total (ours)", "% of total (paper)", "runs", "status"], table)
        by = board[(board.dataset == dataset) & (board.method == PROFILED)].set_index("metric")
        extra = [["unpruned backbone, time (ms)", fmt(by.at["time_ms_unpruned_message_passing", "mean"], 2), "-"],
                 ["unpruned backbone, memory (MB)", fmt(by.at["memory_mb_unpruned_message_passing", "mean"], 1), "-"],
                 ["speed-up, time (unpruned / deployed)", fmt(by.at["speedup_time", "mean"], 2,
                                                              by.at["speedup_time", "std"]),
                  f"{fmt(by.at['speedup_time', 'paper_mean'], 1)} (HEAL / total)"],
                 ["speed-up, memory", fmt(by.at["speedup_memory", "mean"], 2),
                  f"{fmt(by.at['speedup_memory', 'paper_mean'], 1)} (HEAL / total)"],
                 ["1 / rho_nnz (incidence entries kept)", fmt(by.at["inverse_rho_nnz", "mean"], 2), "-"],
                 ["rho_nnz", fmt(by.at["rho_nnz", "mean"], 4), "-"],
                 ["r_overall (Eq. 17)", fmt(by.at["r_overall", "mean"], 4), "-"],
                 ["deployed predict, the record's inference time (ms)", fmt(by.at["deployed_predict_ms", "mean"], 2),
                  "-"],
                 ["adaptive rows' share of the total (%)", fmt(by.at["share_pct_adaptive", "mean"], 1),
                  fmt(by.at["share_pct_adaptive", "paper_mean"], 1)]]
        epochs = board[(board.dataset == dataset) & (board.metric == "seconds_per_epoch")].set_index("method")
        for method, name in ((PROFILED, "full model"),
                             (BACKBONE, "unpruned backbone, same loop (`triprune-backbone`)")):
            if method in epochs.index:
                extra.append([f"training seconds per epoch, {name}",
                              fmt(epochs.at[method, "mean"], 3, epochs.at[method, "std"]), "-"])
        extra.append(["training overhead of the full model over the backbone (%)",
                      fmt(by.at["training_overhead_pct", "mean"], 1), "~15 (§3.3, §6)"])
        lines += [""] + markdown_table(["quantity", "ours", "paper"], extra)
        speedup, inverse = by.at["speedup_time", "mean"], by.at["inverse_rho_nnz", "mean"]
        if np.isfinite(speedup) and np.isfinite(inverse):
            lines += ["", f"The measured speed-up is {100 * speedup / inverse:.0f}% of what 1/rho_nnz predicts: "
                      "fixed costs (the self path, the classifier, dense transforms of every node) do not shrink "
                      "with the incidence." if speedup < inverse else
                      f"The measured speed-up is {100 * speedup / inverse:.0f}% of what 1/rho_nnz predicts."]
    return "\n".join(lines) + "\n"


# ============================================================================= Table 10
T10 = "triprune_table10_finite_difference.csv"
PROBE = "triprune-meta-probe"
ROUTES = {"triprune-fd1e-6": 1e-6, FULL: 1e-5, "triprune-fd1e-4": 1e-4, "triprune-exact": None}
DTYPES = ("float32", "float64")
META_GRADIENT = ("rel_error_float32", "rel_error_float64", "seconds", "seconds_float32", "seconds_float64", "mae")


def probe_frame(data, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every probe row of the suite's ``triprune-meta-probe`` runs, with the run's seed, dataset and meta dtype."""
    frame = runs(data) if frame is None else frame
    parts = []
    for run in ok_runs(frame, PROBE).itertuples():
        table = data.store.table(run.key, "meta_gradient_probe")
        if table is not None and not table.empty:
            dtype = (run.record.get("params") or {}).get("meta_dtype", "float64")
            parts.append(table.assign(seed=run.seed, dataset=run.dataset, meta_dtype=dtype))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["epoch", "batch", "dtype", "route", "delta", "rel_error", "seconds", "exact_norm", "seed", "dataset",
                 "meta_dtype"])


def probe_summary(probe: pd.DataFrame) -> pd.DataFrame:
    """Relative error (%) mean and population std over the probe's batches (all runs) per (dtype, delta) of FD,
    and median seconds per evaluation per (dtype, route, delta)."""
    fd = probe[probe.route == "fd"]
    error = (100 * fd.rel_error).groupby([fd.dtype, fd.delta]).agg(mean="mean", std=lambda x: x.std(ddof=0),
                                                                    n="count").reset_index()
    delta = probe.delta.fillna(-1.0)
    seconds = probe.seconds.groupby([probe.dtype, probe.route, delta]).agg(median="median", n="count").reset_index()
    return error.assign(kind="rel_error"), seconds.assign(kind="seconds")


def meta_gradient_board(data) -> pd.DataFrame:
    chosen, frame = data.suite, runs(data)
    probe = probe_frame(data, frame)
    error, seconds = probe_summary(probe)
    probe_status = {d: cell_status(frame, PROBE, d) for d in chosen.datasets}
    rows = []
    for dataset in chosen.datasets:
        p_status, p_reason, p_budget = probe_status[dataset]
        mine = probe[probe.dataset == dataset]
        err, sec = probe_summary(mine) if len(mine) else (error.iloc[:0], seconds.iloc[:0])
        training_dtype = mine.meta_dtype.iloc[0] if len(mine) else "float64"
        for method, delta in ROUTES.items():
            name = label(chosen, method)
            for dtype in DTYPES:
                hit = err[(err.dtype == dtype) & np.isclose(err.delta, delta)] if delta is not None else err.iloc[:0]
                r = row(chosen, method, dataset, f"rel_error_{dtype}", hit["mean"].iloc[:1], p_status,
                        _paper(T10, name, paper_name(dataset), "Rel. Error"), p_budget, reason=p_reason, source=PROBE)
                if len(hit):
                    r.update(std=float(hit["std"].iloc[0]), n_runs=int(hit.n.iloc[0]))
                elif delta is None and p_status == "ok":
                    r["status"] = "reference"
                rows.append(r)
            for dtype in DTYPES + ("",):
                wanted = dtype or training_dtype
                route = "exact" if delta is None else "fd"
                hit = sec[(sec.dtype == wanted) & (sec.route == route)
                          & np.isclose(sec.delta, -1.0 if delta is None else delta)]
                r = row(chosen, method, dataset, f"seconds_{dtype}" if dtype else "seconds", hit["median"].iloc[:1],
                        p_status, _paper(T10, name, paper_name(dataset), "Time") if not dtype else None, p_budget,
                        reason=p_reason, source=PROBE)
                if len(hit):
                    r.update(std=np.nan, n_runs=int(hit.n.iloc[0]))
                rows.append(r)
            status, reason, budget = cell_status(frame, method, dataset)
            maes = [r["test"]["mae"] for r in ok_runs(frame, method, dataset).record]
            rows.append(row(chosen, method, dataset, "mae", maes, status, _paper(T10, name, paper_name(dataset),
                                                                                   "Final MAE"), budget, reason=reason,
                            source=method))
    return pd.DataFrame(rows)


def meta_gradient_latex(board: pd.DataFrame, data) -> str:
    dataset = data.suite.datasets[0]
    by = board[board.dataset == dataset].set_index(["method", "metric"])
    lines = []
    for method in ROUTES:
        cells = [by.loc[(method, m)] for m in ("rel_error_float32", "rel_error_float64", "seconds", "mae")]
        lines.append([label(data.suite, method), _pm(cells[0].paper_mean, cells[0].paper_std, 1),
                      _t10(cells[0], 2), _t10(cells[1], 2, sci=True), _num(cells[2].paper_mean, 1),
                      _t10(cells[2], 4, std=False), _num(cells[3].paper_mean, 3), _t10(cells[3], 3)])
    header = pd.MultiIndex.from_tuples([("", "Method"), ("Rel. error (\\%)", "paper"), ("Rel. error (\\%)", "fp32"),
                                        ("Rel. error (\\%)", "fp64"), ("Time (s)", "paper"), ("Time (s)", "ours"),
                                        ("Final MAE", "paper"), ("Final MAE", "ours")])
    caption = (f"{_tex(data.suite.table.title)}, {paper_name(dataset)}. {data.provenance()} Relative error "
               "$\\|g_{exact} - g_{FD}\\| / \\|g_{exact}\\|$: mean $\\pm$ population std over the probe's validation "
               "batches of 512 nodes at fixed parameters (runs of \\texttt{triprune-meta-probe}), in float32 and "
               "float64; time: median seconds of one meta-gradient evaluation in the training dtype on this "
               "machine's CPU; final MAE: full training runs with each route.")
    return pd.DataFrame(lines, columns=header).style.hide(axis="index").to_latex(
        hrules=True, multicol_align="c", caption=caption, label=f"tab:{data.suite.name}", position="t",
        column_format="l" + "c" * 7)


def _pm(mean: float, std: float, decimals: int) -> str:
    if not np.isfinite(mean):
        return "--"
    return f"${mean:.{decimals}f}" + (f"_{{\\pm {std:.{decimals}f}}}$" if np.isfinite(std) else "$")


def _t10(r, decimals: int, sci: bool = False, std: bool = True) -> str:
    if not np.isfinite(r["mean"]):
        return "ref." if r.status == "reference" else _tex(r.status) if r.status != "ok" else "--"
    if sci:
        return f"${r['mean']:.1e}" + (f" \\pm {r['std']:.1e}$" if std and np.isfinite(r["std"]) else "$")
    return f"${r['mean']:.{decimals}f}" + (f"_{{\\pm {r['std']:.{decimals}f}}}$" if std and np.isfinite(r["std"])
                                           else "$")


def meta_gradient_notes(board: pd.DataFrame, data) -> str:
    chosen = data.suite
    lines = [f"# {chosen.name}: notes", "", chosen.description, "",
             "(a) Relative error ||g_exact - g_FD|| / ||g_exact|| of the meta-gradient at fixed parameters (the "
             "probe runs, `triprune-meta-probe`, at the checkpoint SPEC names or where the run stops), over 10 "
             "validation batches of 512 nodes, in float32 and float64: mean ± population std over the batches of "
             "every probe run. (b) Seconds of one evaluation per route: the median over the same evaluations. "
             "(c) Final test MAE of full training runs with each route: `triprune` (FD, delta 1e-5, the full "
             "model), `triprune-fd1e-6`, `triprune-fd1e-4`, `triprune-exact`.", "",
             "SPEC [OD-13]: for a one-step inner update the \"exact Hessian-vector\" meta-gradient is the first-order "
             "inner product of §2.14, cheaper than FD's forwards, so the paper's timings (exact slower than FD) are "
             "expected to invert; in float64, FD at delta 1e-5 should be close to exact (about 1e-6 relative), not "
             "the paper's percent-level error, which float32 round-off can explain.", ""]
    for dataset in chosen.datasets:
        by = board[board.dataset == dataset].set_index(["method", "metric"])
        table = []
        for method in ROUTES:
            c = {m: by.loc[(method, m)] for m in META_GRADIENT}
            table.append([label(chosen, method), _e(c["rel_error_float32"]), _e(c["rel_error_float64"]),
                          fmt(c["rel_error_float32"].paper_mean, 1, c["rel_error_float32"].paper_std),
                          _s(c["seconds_float32"]), _s(c["seconds_float64"]), fmt(c["seconds"].paper_mean, 1),
                          fmt(c["mae"]["mean"], 3, c["mae"]["std"]), fmt(c["mae"].paper_mean, 3), c["mae"].n_runs,
                          _status_text(c["mae"])])
        lines += [f"## {paper_name(dataset)}", ""]
        lines += markdown_table(["route", "rel. error % (fp32)", "rel. error % (fp64)", "rel. error % (paper)",
                                 "s/eval (fp32)", "s/eval (fp64)", "s/eval (paper)", "final MAE", "final MAE (paper)",
                                 "MAE runs", "status"], table)
        lines += [""] + _findings(by, chosen)
    return "\n".join(lines) + "\n"


def _e(r) -> str:
    if np.isfinite(r["mean"]):
        return f"{r['mean']:.3g} ± {r['std']:.2g} (n={r.n_runs})"
    return "reference" if r.status == "reference" else _status_text(r)


def _s(r) -> str:
    return f"{r['mean']:.4g}" if np.isfinite(r["mean"]) else _status_text(r)


def _findings(by: pd.DataFrame, chosen) -> list[str]:
    """What the probe shows against [OD-13]'s two expectations, from the board's numbers."""
    exact, fd = by.loc[("triprune-exact", "seconds")], by.loc[(FULL, "seconds")]
    e32, e64 = by.loc[(FULL, "rel_error_float32")], by.loc[(FULL, "rel_error_float64")]
    lines = []
    if np.isfinite(exact["mean"]) and np.isfinite(fd["mean"]):
        cheaper = "cheaper" if exact["mean"] < fd["mean"] else "dearer"
        lines.append(f"- Measured: the exact meta-gradient takes {exact['mean'] / fd['mean']:.2f}x the seconds of FD "
                     f"(delta 1e-5), i.e. it is {cheaper} ([OD-13] expects cheaper; the paper's ratio is "
                     f"{fmt(exact.paper_mean / fd.paper_mean, 1)}x).")
    else:
        lines.append("- Timing of the routes: no probe run yet.")
    if np.isfinite(e32["mean"]) and np.isfinite(e64["mean"]):
        lines.append(f"- Measured: FD at delta 1e-5 is {e32['mean']:.3g}% from exact in float32 and {e64['mean']:.3g}% "
                     f"in float64 (paper: {fmt(e32.paper_mean, 1)}%).")
    maes = {m: by.loc[(m, "mae")]["mean"] for m in ROUTES}
    if np.isfinite(maes[FULL]) and np.isfinite(maes["triprune-exact"]):
        change = 100 * (maes[FULL] / maes["triprune-exact"] - 1)
        lines.append(f"- Final MAE, FD (delta 1e-5) against exact: {change:+.2f}%.")
    return lines
