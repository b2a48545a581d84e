"""The cost of a job as the work grows: CPU milliseconds, bytes of memory and database transactions per job,
against N, from the figures `bench/scale.py --json FILE` wrote, drawn as one PNG (needs `.[bench]`).

    .venv/bin/python bench/cost_curves.py runs.json docs/cost_curves.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: a file only
import matplotlib.pyplot as plt

PANELS = (
    ("cpu_ms_per_job", "CPU per job (ms, all bot processes)"),
    ("memory_bytes_per_job", "memory per job (KiB of peak RSS growth)"),
    ("db_transactions_per_job", "database transactions per job"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    runs = sorted(json.loads(args.runs.read_text()), key=lambda r: r["n"])
    figure, axes = plt.subplots(1, len(PANELS), figsize=(13, 3.8))
    for axis, (key, title) in zip(axes, PANELS, strict=True):
        xs = [r["n"] for r in runs]
        ys = [r[key] / 1024 if key == "memory_bytes_per_job" else r[key] for r in runs]
        axis.plot(xs, ys, marker="o")
        for r, y in zip(runs, ys, strict=True):
            axis.annotate(f"{r['shards']} proc.", (r["n"], y), textcoords="offset points", xytext=(4, 4), fontsize=8)
        axis.set_xscale("log")
        axis.set_xlabel("N (videos asked at once)")
        axis.set_title(title, fontsize=10)
        axis.set_ylim(bottom=0)
        axis.grid(True, alpha=0.3)
    figure.suptitle("bench/scale.py: cost per job as the work grows (2-core shared machine)", fontsize=11)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
