"""Is a suite slower because of the code? The same runs timed under an older commit and under this tree.

    python benchmarks/bench_code_regression.py --ref cbecdd3 --suite-file benchmarks/suites/quick_300.toml
    python benchmarks/bench_code_regression.py --ref HEAD~20 --suite quick --seeds 0 --rounds 1

The suite's (env, kwargs, teacher) runs are listed by this tree's leaderboard
code; each is run for ``--seeds`` under both codes, in child processes that
import ``teachgym`` either from this tree or from ``git archive REF`` unpacked
into a temporary folder (the same installed libraries, the same machine, one
BLAS thread). The two codes alternate for ``--rounds`` rounds and each run
keeps its least CPU time, so a load swing hits both. A run the older code
cannot make (a teacher or env it did not have) is reported as missing.

What it tells: per run and for the whole suite, CPU time under this tree /
under REF. A ratio near 1 with a suite that takes longer than it used to
means the machine, not the code; a ratio above 1 names the runs that got
slower. Scores are recorded too: a changed score means changed behaviour
(budget-relative defaults, a bumped env), not only speed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# Top-level folders of the repository and the packages they install as (pyproject's package-dir).
PACKAGES = {"teachgym": "teachgym", "teachgym.envs": "envs", "teachgym.students": "students",
            "teachgym.teachers": "teachers"}


def child(root: str, pairs: list, seeds: list[int]) -> dict:
    """CPU seconds and scores of every run, importing teachgym from the checkout at ``root``."""
    import importlib.abc
    import importlib.util

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            folder = PACKAGES.get(fullname)
            if folder is None:
                return None
            init = Path(root) / folder / "__init__.py"
            return importlib.util.spec_from_file_location(fullname, init,
                                                          submodule_search_locations=[str(init.parent)])

    sys.meta_path.insert(0, Finder())
    import gymnasium as gym

    import teachgym

    assert Path(teachgym.__file__).resolve().is_relative_to(Path(root).resolve()), teachgym.__file__
    out = {}
    for env_id, kwargs, teacher in pairs:
        key = f"{env_id} {json.dumps(kwargs, sort_keys=True)} {teacher}"
        try:
            cpu, scores = 0.0, []
            for seed in seeds:
                env = gym.make(env_id, **kwargs)
                start = time.process_time()
                result = teachgym.run(env, teacher, seed=seed)
                cpu += time.process_time() - start
                scores.append(float(result.score))
                env.close()
            out[key] = {"cpu_s": cpu / len(seeds), "scores": scores}
        except Exception as error:  # the older code lacks this teacher, env or keyword
            out[key] = {"missing": f"{type(error).__name__}: {error}"[:200]}
    return out


def suite_pairs(suite: str, suite_file: str | None) -> list:
    from teachgym.leaderboard import get_suite, plan

    pairs = []
    for spec in plan(get_suite(suite, suite_file)):
        pair = (spec.env_id, dict(spec.env_kwargs), spec.teacher)
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def unpack(ref: str, into: Path) -> str:
    """``git archive ref`` unpacked into ``into``; returns the commit's short hash."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=REPO, check=True, capture_output=True,
                            text=True).stdout.strip()
    archive = into / "ref.tar"
    subprocess.run(["git", "archive", "--format=tar", "-o", str(archive), commit], cwd=REPO, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "ref", filter="data")
    missing = [folder for folder in PACKAGES.values() if not (into / "ref" / folder / "__init__.py").exists()]
    if missing:
        raise SystemExit(f"{ref} does not have this layout's package folders {missing}")
    return commit


def run_child(root: Path, pairs: list, seeds: list[int]) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run([sys.executable, __file__, "--child", str(root), "--pairs", json.dumps(pairs),
                           "--seeds", ",".join(map(str, seeds))], capture_output=True, text=True, env=env,
                          cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(f"the child under {root} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ref", help="the older commit (any git revision)")
    parser.add_argument("--suite", default="quick")
    parser.add_argument("--suite-file", help="a TOML file of suites instead of the packaged one")
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds run per (env, teacher)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two codes")
    parser.add_argument("--name", default="code_regression")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--pairs", help=argparse.SUPPRESS)
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    if args.child:
        print(json.dumps(child(args.child, json.loads(args.pairs), seeds)))
        return
    if not args.ref:
        parser.error("--ref is required")
    sys.path.insert(0, str(HERE))
    from _common import machine, pin_one_thread, record

    pin_one_thread()
    pairs = suite_pairs(args.suite, args.suite_file)
    print(f"machine: {machine()}; {len(pairs)} (env, teacher) pairs x {len(seeds)} seeds, {args.rounds} rounds\n")
    best: dict[str, dict] = {"ref": {}, "tree": {}}
    with tempfile.TemporaryDirectory() as tmp:
        commit = unpack(args.ref, Path(tmp))
        for round_ in range(args.rounds):
            order = [("ref", Path(tmp) / "ref"), ("tree", REPO)]
            for side, root in (order if round_ % 2 == 0 else order[::-1]):
                for key, row in run_child(root, pairs, seeds).items():
                    kept = best[side].get(key)
                    if kept is None or ("cpu_s" in row and row["cpu_s"] < kept.get("cpu_s", float("inf"))):
                        best[side][key] = row
    rows, totals = {}, {"ref": 0.0, "tree": 0.0}
    print(f"| run | {commit} CPU s | tree CPU s | tree / ref | scores ref -> tree |\n|---|---:|---:|---:|---|")
    for key in best["tree"]:
        ref, tree = best["ref"].get(key, {}), best["tree"][key]
        if "cpu_s" not in ref or "cpu_s" not in tree:
            rows[key] = {"missing": ref.get("missing") or tree.get("missing")}
            print(f"| {key} | missing | | | {rows[key]['missing']} |")
            continue
        totals["ref"] += ref["cpu_s"]
        totals["tree"] += tree["cpu_s"]
        rows[key] = {"ref_cpu_s": ref["cpu_s"], "tree_cpu_s": tree["cpu_s"], "ratio": tree["cpu_s"] / ref["cpu_s"],
                     "ref_scores": ref["scores"], "tree_scores": tree["scores"]}
        print(f"| {key} | {ref['cpu_s']:.3f} | {tree['cpu_s']:.3f} | {rows[key]['ratio']:.2f} | "
              f"{ref['scores']} -> {tree['scores']} |")
    ratio = totals["tree"] / totals["ref"] if totals["ref"] else float("nan")
    print(f"\nper seed, the runs both codes make: {commit} {totals['ref']:.2f} CPU-s, tree {totals['tree']:.2f} "
          f"CPU-s, tree / ref {ratio:.2f}")
    record(args.name, "core", {"ref": commit, "suite": args.suite, "suite_file": args.suite_file, "seeds": seeds,
                               "rounds": args.rounds, "ref_cpu_s_per_seed": totals["ref"],
                               "tree_cpu_s_per_seed": totals["tree"], "tree_over_ref": ratio}, rows,
           notes="CPU seconds per run (least over rounds, mean over seeds) of each (env, kwargs, teacher) of the "
                 "suite, this tree vs git archive of REF, the same libraries and machine, one BLAS thread; "
                 "per seed = the sum over the runs both codes make.")


if __name__ == "__main__":
    main()
