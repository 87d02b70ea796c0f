"""``python -m bench [--quick] [AREA ...]``: run the benchmarks and print their figures as one JSON object."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

import bench


def areas() -> list[str]:
    return sorted(
        m.name for m in pkgutil.iter_modules([str(Path(bench.__file__).parent)]) if not m.name.startswith("_")
    )


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("areas", nargs="*", help=f"areas to run (default all): {', '.join(areas())}")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds each")
    args = parser.parse_args(argv)
    chosen = args.areas or areas()
    unknown = sorted(set(chosen) - set(areas()))
    if unknown:
        parser.error(f"unknown area(s): {', '.join(unknown)}")
    results: dict[str, object] = {"machine": machine(), "quick": args.quick}
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "run"):
            continue
        started = time.perf_counter()
        try:
            figures = module.run(quick=args.quick)
        except Exception as exc:  # noqa: BLE001 - report the failure and go on with the others
            figures = {"error": f"{type(exc).__name__}: {exc}"}
        figures["bench_wall_s"] = round(time.perf_counter() - started, 3)
        results[name] = figures
        print(f"[bench] {name}: done", file=sys.stderr)
    print(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
