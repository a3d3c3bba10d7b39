#!/usr/bin/python3
"""This file implements bench/ds_cnn_reference: the issue's acceptance check of the trainer.

The reference DS-CNN (bench/networks/ds_cnn_small.json: 15,722 parameters, 0.89M MACs) is
trained with the recipe of bench/ds_cnn_reference/config.json (8 epochs, batch 128, SGD
with Nesterov momentum 0.9, weight decay 5e-4 on kernels, learning rate 0.4, chosen on
validation, with a per-step cosine to 0) twice, one after the other:
  - by `nas-run train` on all 60,000 training images, which then quantises the network
    to int8 and scores the integer-only model, and
  - by PyTorch (the child side of bench/trainer_vs_pytorch.py) on the very same splits,
    which `nas-run train --save-splits` writes.
It does so for several seeds (--seeds, default 1,2,3: a single run of this network varies
by about +-0.4 points) and prints every run's test accuracies, our int8 test accuracy, the
training times, the means, and whether the issue's bars hold for the means: float >= 90%,
int8 >= 89.5%, |ours - PyTorch| <= 0.5 points.
Results: <results-dir>/ds_cnn_reference/<time>/ (summary.json, the run, the splits).

Run it with bench/ds_cnn_reference.sh (installs, builds, then calls this with /usr/bin/python3).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ARCH = os.path.join(HERE, "networks", "ds_cnn_small.json")
CONFIG = os.path.join(HERE, "ds_cnn_reference", "config.json")
BARS = {"float": 0.90, "int8": 0.895, "gap": 0.005}


def run_side(cmd):
    """Runs one side; returns (its JSON result from stdout, wall seconds). Logs pass through."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    out = proc.stdout.strip()
    start_json = out.find("{")
    if proc.returncode != 0 or start_json < 0:
        sys.exit(f"ds_cnn_reference: {' '.join(cmd)} failed with exit code {proc.returncode}")
    return json.loads(out[start_json:]), wall


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nas-run", default=os.path.join(ROOT, "build", "release", "nas-run"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seeds", default="1,2,3", help="one pair of runs per seed; the bars apply to the means")
    p.add_argument("--results-dir", default=os.environ.get("HWNAS_BENCH_RESULTS", os.path.join(HERE, "results")))
    a = p.parse_args()

    with open(CONFIG) as f:
        recipe = json.load(f)["training"]
    # The PyTorch side hard-codes these (bench/trainer_vs_pytorch.py: torch_run).
    assert recipe["optimizer"] == "sgd" and recipe["momentum"] == 0.9 and recipe["nesterov"]
    assert recipe["weight_decay"] == 5e-4 and recipe.get("warmup_epochs", 0) == 0

    folder = os.path.join(a.results_dir, "ds_cnn_reference", time.strftime("%Y%m%d-%H%M%S"))
    splits = os.path.join(folder, "splits")
    os.makedirs(folder)
    seeds = [int(v) for v in a.seeds.split(",")]
    runs = []
    for i, seed in enumerate(seeds):
        # With validation_fraction 0 and no limits the splits are the whole files, the same for
        # every seed: written once, by the first run.
        save = ["--save-splits", splits] if i == 0 else []
        ours, ours_wall = run_side([a.nas_run, "--threads", str(a.threads), "train", ARCH, "--config", CONFIG,
                                    "--out", os.path.join(folder, f"hwnas-seed{seed}"), "--seed", str(seed),
                                    "--json"] + save)
        theirs, theirs_wall = run_side([sys.executable, os.path.join(HERE, "trainer_vs_pytorch.py"), "--torch-run",
                                        ARCH, "--data", splits, "--batch", str(recipe["batch_size"]),
                                        "--epochs", str(recipe["epochs"]), "--lr", str(recipe["learning_rate"]),
                                        "--threads", str(a.threads), "--seed", str(seed)])
        runs.append({"seed": seed, "hwnas": ours, "pytorch": theirs, "hwnas_wall_seconds": ours_wall,
                     "pytorch_wall_seconds": theirs_wall})

    def mean(values):
        return sum(values) / len(values)

    ours_float = mean([r["hwnas"]["test_accuracy"] for r in runs])
    ours_int8 = mean([r["hwnas"]["test_accuracy_int8"] for r in runs])
    theirs_float = mean([r["pytorch"]["test_accuracy"] for r in runs])
    gap = ours_float - theirs_float
    checks = {
        "mean float >= 90%": ours_float >= BARS["float"],
        "mean int8 >= 89.5%": ours_int8 >= BARS["int8"],
        "|mean hwnas - mean PyTorch| <= 0.5 pt": abs(gap) <= BARS["gap"] + 1e-12,
    }
    first = runs[0]["hwnas"]
    n_train = first["train_samples"]
    print(f"\nDS-CNN reference (15,722 parameters), {recipe['epochs']} epochs, batch {recipe['batch_size']}, "
          f"{n_train} training images, {first['test_samples']} test images, {a.threads} threads")
    print(f"{'seed':>4} {'':8} {'float test':>10} {'int8 test':>10} {'train s':>8} {'images/s':>9}")
    for r in runs:
        o, t = r["hwnas"], r["pytorch"]
        print(f"{r['seed']:>4} {'hwnas':8} {100 * o['test_accuracy']:9.2f}% {100 * o['test_accuracy_int8']:9.2f}% "
              f"{o['train_seconds']:8.1f} {o['images_per_second']:9.0f}")
        print(f"{'':>4} {'PyTorch':8} {100 * t['test_accuracy']:9.2f}% {'-':>10} "
              f"{n_train * recipe['epochs'] / t['images_per_second']:8.1f} {t['images_per_second']:9.0f}")
    print(f"mean {'hwnas':8} {100 * ours_float:9.2f}% {100 * ours_int8:9.2f}%")
    print(f"mean {'PyTorch':8} {100 * theirs_float:9.2f}%")
    print(f"hwnas float - PyTorch float: {100 * gap:+.2f} points (means over {len(runs)} seeds); "
          f"hwnas int8 - float: {100 * (ours_int8 - ours_float):+.2f} points")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    summary = {"runs": runs, "mean": {"hwnas_float": ours_float, "hwnas_int8": ours_int8,
                                      "pytorch_float": theirs_float},
               "recipe": recipe, "threads": a.threads, "seeds": seeds, "checks": checks}
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"results: {folder}/summary.json")
    return 0 if all(checks.values()) else 1

if __name__ == "__main__":
    sys.exit(main())
