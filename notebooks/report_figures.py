#!/usr/bin/python3
"""Figures for `moesim report`: reads a `moesim plan --json` result and writes PNGs into a folder.

Usage: report_figures.py RESULT.json OUT_DIR
Writes pareto.png, cost_breakdown.png, expert_heatmap.png (when the result has expert loads) and
timeline.png (the result's timeline, else the recommended row's step split into compute and
all-to-all as the analytical model sees it). Runs headless (Agg). Embedded in the moesim binary.
"""
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def rows_of(doc):
    """Ranked, Pareto and best-per-GPU rows, each once (by key)."""
    seen, rows = set(), []
    for row in doc.get("ranked", []) + doc.get("pareto", []) + list(doc.get("best_per_gpu", {}).values()):
        if row["key"] not in seen:
            seen.add(row["key"])
            rows.append(row)
    return rows


def gpu_colors(rows):
    names = sorted({r["gpu"] for r in rows})
    return {n: COLORS[i % len(COLORS)] for i, n in enumerate(names)}


def pareto_figure(doc, out):
    rows = rows_of(doc)
    colors = gpu_colors(rows)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    serving = doc["kind"] == "serving"
    for gpu, color in colors.items():
        pts = [r for r in rows if r["gpu"] == gpu]
        if serving:
            xs = [r["usd_per_m_output_tokens"] for r in pts]
            ys = [1e3 * r["decode"]["tpot_s"] for r in pts]
        else:
            xs = [r["total_usd"] / 1e6 for r in pts]
            ys = [r["time_to_train_days"] for r in pts]
        ax.scatter(xs, ys, s=28, color=color, label=gpu, alpha=0.8)
    front = sorted(doc.get("pareto", []), key=lambda r: r["usd_per_m_output_tokens"] if serving else r["total_usd"])
    if front:
        fx = [r["usd_per_m_output_tokens"] if serving else r["total_usd"] / 1e6 for r in front]
        fy = [1e3 * r["decode"]["tpot_s"] if serving else r["time_to_train_days"] for r in front]
        ax.plot(fx, fy, "k--", lw=1, label="Pareto front")
    best = doc["ranked"][0]
    bx = best["usd_per_m_output_tokens"] if serving else best["total_usd"] / 1e6
    by = 1e3 * best["decode"]["tpot_s"] if serving else best["time_to_train_days"]
    ax.scatter([bx], [by], s=160, facecolors="none", edgecolors="black", linewidths=2, label="recommended")
    if serving:
        ax.axhline(1e3 * doc["plan"]["serving"]["slo"]["tpot_s"], color="red", lw=1, ls=":", label="TPOT SLO")
        ax.set_xlabel("$ per million output tokens (GPU rental)")
        ax.set_ylabel("TPOT at the batch limit (ms)")
    else:
        ax.set_xlabel("total cost ($M)")
        ax.set_ylabel("time to train (days)")
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Candidates and Pareto front: " + doc["plan"]["name"], fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "pareto.png"), dpi=110)
    plt.close(fig)


def cost_figure(doc, out):
    best = doc.get("best_per_gpu", {})
    names = sorted(best)
    serving = doc["kind"] == "serving"
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 4))
    if serving:
        rent = [best[n]["usd_per_m_output_tokens"] for n in names]
        power = [best[n]["energy_usd_per_m_output_tokens"] for n in names]
        a1.bar(names, rent, color="#1f77b4", label="GPU rental")
        a1.bar(names, power, bottom=rent, color="#ff7f0e", label="power (if owned)")
        a1.set_ylabel("$ per million output tokens")
        a2.bar(names, [best[n]["gpu_hours_per_day"] for n in names], color="#2ca02c")
        a2.set_ylabel("GPU-hours per day")
    else:
        a1.bar(names, [best[n]["total_usd"] / 1e6 for n in names], color="#1f77b4")
        a1.set_ylabel("total $M")
        a2.bar(names, [best[n]["gpu_hours"] / 1e3 for n in names], color="#2ca02c")
        a2.set_ylabel("thousand GPU-hours")
    a1.legend(fontsize=8) if serving else None
    for ax in (a1, a2):
        ax.grid(axis="y", alpha=0.3)
    a1.set_title("Cost of the best deployment per GPU type", fontsize=10)
    a2.set_title("GPU time", fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "cost_breakdown.png"), dpi=110)
    plt.close(fig)


def heatmap_figure(doc, out):
    load = doc.get("expert_load")
    if not load or not load.get("layers"):
        return False
    fig, ax = plt.subplots(figsize=(9, 3))
    im = ax.imshow(load["layers"], aspect="auto", cmap="viridis", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="load / mean")
    ax.set_xlabel("GPU of the %s instance (%d GPUs, %d redundant experts)" % (load["instance"], load["gpus"], load["redundant_experts"]))
    ax.set_ylabel("MoE layer (sample)")
    ax.set_title("Per-GPU routed-expert load: " + load["source"], fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "expert_heatmap.png"), dpi=110)
    plt.close(fig)
    return True


def timeline_figure(doc, out):
    fig, ax = plt.subplots(figsize=(9, 2.6))
    events = doc.get("timeline")
    if events:
        lanes = sorted({e["lane"] for e in events})
        for e in events[:400]:
            y = lanes.index(e["lane"])
            ax.broken_barh([(e["start_s"] * 1e3, e["duration_s"] * 1e3)], (y - 0.4, 0.8), color=COLORS[y % len(COLORS)])
        ax.set_yticks(range(len(lanes)), lanes)
        title = "Timeline excerpt (simulated)"
    else:
        best = doc["ranked"][0]
        inst = best["decode"] if doc["kind"] == "serving" else best
        compute, comm = inst["compute_s"] * 1e3, inst.get("comm_s", inst.get("comm_exposed_s", 0)) * 1e3
        step = inst["step_s"] * 1e3
        half_c, half_a = compute / 2, comm / 2
        # Two micro-batches: compute of one overlaps the all-to-all of the other.
        ax.broken_barh([(0, half_c), (half_c, half_c)], (1.6, 0.8), color=["#1f77b4", "#aec7e8"])
        ax.broken_barh([(half_c, half_a), (half_c + max(half_c, half_a), half_a)], (0.6, 0.8), color=["#ff7f0e", "#ffbb78"])
        ax.axvline(step, color="k", ls=":", lw=1)
        ax.set_yticks([1.0, 2.0], ["all-to-all", "compute"])
        title = "Timeline excerpt (analytical, recommended %s step: micro-batch 1 dark, 2 light; step %.1f ms)" % (
            "decode" if doc["kind"] == "serving" else "training", step)
    ax.set_xlabel("ms")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "timeline.png"), dpi=110)
    plt.close(fig)


def main(argv):
    if len(argv) != 3:
        print("usage: report_figures.py RESULT.json OUT_DIR", file=sys.stderr)
        return 2
    with open(argv[1]) as f:
        doc = json.load(f)
    os.makedirs(argv[2], exist_ok=True)
    pareto_figure(doc, argv[2])
    cost_figure(doc, argv[2])
    heatmap_figure(doc, argv[2])
    timeline_figure(doc, argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
