"""Where a bot process spent its time, from py-spy's collapsed stacks (`bench/scale.py --profile DIR`): the share
of samples in which each function was on the stack (inclusive) and at its top (own time).

    .venv/bin/python bench/profile_summary.py DIR/n500-shard0.txt [--top 25]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def summarise(path: Path, top: int) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame.split(" (")[0] + " " + frame.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1]
                  for frame in stack.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    print(f"{path.name}: {total} samples")
    print("  on the stack:")
    for frame, count in inclusive.most_common(top):
        print(f"    {count / total:6.1%}  {frame}")
    print("  own time:")
    for frame, count in own.most_common(top):
        print(f"    {count / total:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for path in args.files:
        summarise(path, args.top)


if __name__ == "__main__":
    main()
