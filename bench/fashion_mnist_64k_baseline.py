#!/usr/bin/python3
"""This file implements bench/fashion_mnist_64k_baseline: do the models a
configs/fashion-mnist-64k.json search found beat a hand-designed network?

The baseline is the issue's 15K-parameter DS-CNN (bench/networks/ds_cnn_small.json: 90.4%
float after 8 epochs in PyTorch). It is trained by `nas-run train` with the run's own
config, so it gets the same splits and the same recipe as the run's final retraining.
Its costs are estimated on the run's first target.

A found model dominates the baseline when (the issue's definition):
  - its int8 test accuracy is higher, and
  - its peak RAM, flash and latency are each no larger.
Flash already holds the model (weights, biases, quantisation parameters, metadata); the
model size alone is printed beside it, and every found model is within the run's own
64 KB model budget. The config starts its search from the DS-CNN itself
(search.initial_architectures): when the baseline's own network is in the Pareto set it is
shown as such, with the accuracy the run's retraining gave it (another training seed), and
it never counts as a found model.

The script prints both sides and writes <run>/baseline_comparison.json. It exits 0 when:
  - some model of the run's Pareto set dominates the baseline, and
  - the best int8 test accuracy reaches --bar (0.92, the issue's target).

Usage: bench/fashion_mnist_64k_baseline.sh RUN_DIR (builds nas-run, then calls this).
--reuse-baseline DIR takes the baseline's accuracy from an earlier comparison's
RUN_DIR/baseline when it was trained with the same recipe (training is deterministic).
When the run's final models were trained several times (search.final_seeds; pareto.json
says "trainings"), their accuracies are means, and the baseline's is the mean of as many
trainings on the same validation splits (`nas-run train --split K`, kept in RUN_DIR/seeds/);
the script prints each training's accuracy and how far the difference of the means stands
above their spread (its standard error).
--seeds N (N > 1) measures the training noise behind a dominance: the baseline and every
dominating model are trained again by `nas-run train --seed S` for S = 1..N (the config's
own seed reuses the baseline's training; results are kept in RUN_DIR/seeds/ and reused),
and a further check asks that each one's mean int8 test accuracy be above the baseline's.
"""
import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BASELINE = os.path.join(HERE, "networks", "ds_cnn_small.json")
COSTS = ("ram_bytes", "flash_bytes", "model_bytes", "latency_ms")
# The costs a dominating model must not exceed (the "no more RAM, flash or latency").
DOMINANCE_COSTS = ("ram_bytes", "flash_bytes", "latency_ms")
# What decides how `nas-run train` trains the baseline; keys starting with "_" are comments.
RECIPE_SECTIONS = ("dataset", "training", "quantization")


def run_json(cmd):
    """Runs cmd (logs pass through on stderr) and parses the JSON it prints."""
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        sys.exit(f"fashion_mnist_64k_baseline: {' '.join(cmd)} failed with exit code {out.returncode}")
    return json.loads(out.stdout[out.stdout.find("{"):])


def baseline_costs(nas_run, target):
    est = run_json([nas_run, "estimate", BASELINE, "--mcu", target["mcu"], "--profile", target["runtime"], "--json"])
    t = est["targets"][0]
    f = t["flash"]
    return {"ram_bytes": t["ram"]["total_bytes"], "flash_bytes": f["total_bytes"],
            "model_bytes": f["weights"] + f["biases"] + f["quant_params"] + f["model_metadata"],
            "latency_ms": t["latency_ms"]}


def recipe_of(config):
    """The parts of a config that decide the baseline's training: splits, recipe and seed."""
    def strip(v):
        return {k: strip(x) for k, x in v.items() if not k.startswith("_")} if isinstance(v, dict) else v
    return dict({s: strip(config.get(s)) for s in RECIPE_SECTIONS}, seed=config.get("search", {}).get("seed"))


def reused_baseline(reuse_dir, config_path):
    """result.json of an earlier baseline training (a `nas-run train --out` folder). Training
    is deterministic, so it stands for a new one when its recipe is the config's; otherwise exit."""
    with open(config_path) as f:
        config = json.load(f)
    with open(os.path.join(reuse_dir, "config.json")) as f:
        used = json.load(f)
    if recipe_of(used) != recipe_of(config):
        sys.exit(f"fashion_mnist_64k_baseline: {reuse_dir}/config.json: the baseline there was trained with "
                 f"another dataset, training, quantization or seed than {config_path}; drop --reuse-baseline")
    with open(os.path.join(reuse_dir, "result.json")) as f:
        return json.load(f)


def trained_with(a, arch, name, option, value):
    """result.json of `nas-run train ARCH OPTION VALUE` with the config, kept under RUN_DIR/seeds/NAME."""
    out = os.path.join(a.run_dir, "seeds", name)
    result = os.path.join(out, "result.json")
    if not os.path.exists(result):
        if os.path.exists(out):
            shutil.rmtree(out)  # an interrupted training: start it again
        run_json([a.nas_run, "train", arch, "--config", a.config, option, str(value), "--out", out, "--json"])
    with open(result) as f:
        return json.load(f)


def trained_with_seed(a, arch, tag, seed):
    """result.json of `nas-run train ARCH --seed SEED`: other splits and another initialisation."""
    return trained_with(a, arch, f"{tag}-seed{seed}", "--seed", seed)


def baseline_trainings(a, trained, n):
    """result.json of the baseline trained as the final stage trains a model n times: training k
    holds out validation split k (`nas-run train --split k`; split 0 is `trained`)."""
    return [trained] + [trained_with(a, BASELINE, f"baseline-split{k}", "--split", k) for k in range(1, n)]


def difference_text(found, base):
    """The difference of two sets of trainings' mean accuracies, with its standard error
    (Welch): how far the gap stands above the seeds' noise."""
    d = statistics.mean(found) - statistics.mean(base)
    se = math.sqrt(statistics.variance(found) / len(found) + statistics.variance(base) / len(base))
    return dict(difference=d, standard_error=se), (f"{100 * d:+.2f} points, standard error {100 * se:.2f}"
                                                    + (f" ({d / se:.1f} of them)" if se > 0 else ""))


def final_trainings(run_dir, ids):
    """Each id's int8 test accuracies over its final trainings (history.jsonl's seed_runs)."""
    found = {}
    with open(os.path.join(run_dir, "history.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("stage") == "final" and r["id"] in ids and r.get("seed_runs"):
                found[r["id"]] = [s["test_accuracy_int8"] for s in r["seed_runs"]]
    return found


def seed_spread(a, trained, dominating, checks):
    """Int8 test accuracy of the baseline and each dominating model over seeds 1..N."""
    with open(a.config) as f:
        config_seed = json.load(f).get("search", {}).get("seed", 1)
    def accuracies(arch, tag):
        return [trained["test_accuracy_int8"] if tag == "baseline" and s == config_seed
                else trained_with_seed(a, arch, tag, s)["test_accuracy_int8"] for s in range(1, a.seeds + 1)]
    spread = {"baseline": accuracies(BASELINE, "baseline")}
    for r in dominating:
        spread[r["id"]] = accuracies(os.path.join(a.run_dir, "models", r["id"], "arch.json"), r["id"])
    print(f"\nint8 test accuracy over seeds 1..{a.seeds} (nas-run train --seed S, the same recipe):")
    for name, accs in spread.items():
        print(f"  {name:28} mean {100 * statistics.mean(accs):.2f}%  sd {100 * statistics.stdev(accs):.2f}  "
              + " ".join(f"{100 * x:.2f}" for x in accs))
    for name, accs in spread.items():
        if name != "baseline":
            ok = statistics.mean(accs) > statistics.mean(spread["baseline"])
            checks[f"{name} beats the baseline on the mean of {a.seeds} seeds"] = ok
            print(f"  {'PASS' if ok else 'FAIL'}  {name} beats the baseline on the mean of {a.seeds} seeds: "
                  + difference_text(accs, spread["baseline"])[1])
    return spread


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--config", default=os.path.join(ROOT, "configs", "fashion-mnist-64k.json"))
    p.add_argument("--nas-run", default=os.path.join(ROOT, "build", "release", "nas-run"))
    p.add_argument("--bar", type=float, default=0.92)
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="also train the baseline and each dominating model with seeds 1..N; compare the means")
    p.add_argument("--reuse-baseline", metavar="DIR",
                   help="the baseline folder of an earlier comparison with the same recipe: skip retraining it")
    a = p.parse_args()

    if a.reuse_baseline:
        trained = reused_baseline(a.reuse_baseline, a.config)
    else:
        out_dir = os.path.join(a.run_dir, "baseline")
        trained = run_json([a.nas_run, "train", BASELINE, "--config", a.config, "--out", out_dir, "--json"])
    with open(os.path.join(a.run_dir, "pareto.json")) as f:
        target = json.load(f)["targets"][0]
    base = dict(baseline_costs(a.nas_run, target), id="ds_cnn_small (baseline)",
                test_accuracy=trained["test_accuracy"], test_accuracy_int8=trained["test_accuracy_int8"],
                val_accuracy_int8=trained["val_accuracy_int8"])
    trainings = max((e.get("trainings", 1) for e in target["front"]), default=1)
    runs = []
    if trainings > 1:
        # The run's final models report means over search.final_seeds trainings: so does the baseline.
        runs = baseline_trainings(a, trained, trainings)
        base["test_accuracy"] = statistics.mean(r["test_accuracy"] for r in runs)
        base["test_accuracy_int8"] = statistics.mean(r["test_accuracy_int8"] for r in runs)
        base["val_accuracy_int8"] = statistics.mean(r["val_accuracy_int8"] for r in runs)
        base["id"] = f"ds_cnn_small (baseline, mean of {trainings})"
    baseline_id = run_json([a.nas_run, "inspect", BASELINE, "--json"])["id"]

    rows = []
    for e in target["front"]:
        is_baseline = e["id"] == baseline_id
        dominates = (not is_baseline and e["test_accuracy_int8"] > base["test_accuracy_int8"]
                     and all(e[k] <= base[k] for k in DOMINANCE_COSTS))
        rows.append(dict({k: e[k] for k in COSTS}, id=e["id"] + (" (= baseline)" if is_baseline else ""),
                         test_accuracy=e["test_accuracy"], test_accuracy_int8=e["test_accuracy_int8"],
                         val_accuracy_int8=e["val_accuracy_int8"],
                         dominates_baseline=dominates, is_baseline=is_baseline))
    print(f"\n{target['mcu']} ({target['runtime']}); budgets {target['budgets']}")
    print(f"{'model':36} {'float test':>10} {'int8 test':>10} {'int8 val':>9} {'RAM B':>8} {'flash B':>9} "
          f"{'model B':>8} {'latency ms':>10}  dominates")
    for r in [dict(base, is_baseline=True)] + rows:
        mark = "" if r is base or r["is_baseline"] else ("yes" if r["dominates_baseline"] else "no")
        print(f"{r['id']:36} {100 * r['test_accuracy']:9.2f}% {100 * r['test_accuracy_int8']:9.2f}% "
              f"{100 * r['val_accuracy_int8']:8.2f}% {r['ram_bytes']:8d} {r['flash_bytes']:9d} {r['model_bytes']:8d} {r['latency_ms']:10.2f}  {mark}")
    best = max((r["test_accuracy_int8"] for r in rows if not r["is_baseline"]), default=0.0)
    checks = {"a found model dominates the baseline": any(r["dominates_baseline"] for r in rows),
              f"best int8 test accuracy >= {100 * a.bar:.0f}%": best >= a.bar}
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    noise = {}
    if runs:
        base_accs = [r["test_accuracy_int8"] for r in runs]
        print(f"\nint8 test accuracy of each training on validation splits 0..{trainings - 1} (search.final_seeds):")
        print(f"  {'baseline':28} " + " ".join(f"{100 * x:.2f}" for x in base_accs))
        found = final_trainings(a.run_dir, {r["id"] for r in rows if not r["is_baseline"]})
        for model_id, accs in found.items():
            noise[model_id], text = difference_text(accs, base_accs)
            noise[model_id].update(trainings=accs, baseline_trainings=base_accs)
            print(f"  {model_id:28} " + " ".join(f"{100 * x:.2f}" for x in accs) + f"  {text}")
    seeds = {}
    if a.seeds > 1:
        seeds = seed_spread(a, trained, [r for r in rows if r["dominates_baseline"]], checks)
    with open(os.path.join(a.run_dir, "baseline_comparison.json"), "w") as f:
        json.dump({"baseline": base, "front": rows, "checks": checks, "noise": noise, "seeds": seeds}, f, indent=2)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
