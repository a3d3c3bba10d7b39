#!/usr/bin/python3
"""This file implements bench/ds_cnn_reference: the issue's acceptance check of the trainer.

The reference DS-CNN (bench/networks/ds_cnn_small.json: 15,722 parameters, 0.89M MACs) is
trained with the recipe of bench/ds_cnn_reference/config.json (8 epochs, batch 128, SGD
with Nesterov momentum 0.9, weight decay 5e-4 on kernels, learning rate 0.05 with a
per-step cosine to 0) twice, one after the other:
  - by `nas-run train` on all 60,000 training images, which then quantises the network
    to int8 and scores the integer-only model, and
  - by PyTorch (the child side of bench/trainer_vs_pytorch.py) on the very same splits,
    which `nas-run train --save-splits` writes.
It prints both test accuracies, our int8 test accuracy, the training times, and whether
the issue's bars hold: float >= 90%, int8 >= 89.5%, |ours - PyTorch| <= 0.5 points.
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
    p.add_argument("--seed", type=int, default=1)
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
    ours, ours_wall = run_side([a.nas_run, "--threads", str(a.threads), "train", ARCH, "--config", CONFIG,
                                "--out", os.path.join(folder, "hwnas"), "--save-splits", splits,
                                "--seed", str(a.seed), "--json"])
    theirs, theirs_wall = run_side([sys.executable, os.path.join(HERE, "trainer_vs_pytorch.py"), "--torch-run", ARCH,
                                    "--data", splits, "--batch", str(recipe["batch_size"]),
                                    "--epochs", str(recipe["epochs"]), "--lr", str(recipe["learning_rate"]),
                                    "--threads", str(a.threads), "--seed", str(a.seed)])

    gap = ours["test_accuracy"] - theirs["test_accuracy"]
    checks = {
        "float >= 90%": ours["test_accuracy"] >= BARS["float"],
        "int8 >= 89.5%": ours.get("test_accuracy_int8", -1) >= BARS["int8"],
        "|hwnas - PyTorch| <= 0.5 pt": abs(gap) <= BARS["gap"] + 1e-12,
    }
    n_train = ours["train_samples"]
    print(f"\nDS-CNN reference (15,722 parameters), {recipe['epochs']} epochs, batch {recipe['batch_size']}, "
          f"{n_train} training images, {ours['test_samples']} test images, {a.threads} threads")
    print(f"{'':10} {'float test':>10} {'int8 test':>10} {'train s':>8} {'images/s':>9} {'wall s':>7}")
    print(f"{'hwnas':10} {100 * ours['test_accuracy']:9.2f}% {100 * ours['test_accuracy_int8']:9.2f}% "
          f"{ours['train_seconds']:8.1f} {ours['images_per_second']:9.0f} {ours_wall:7.1f}")
    print(f"{'PyTorch':10} {100 * theirs['test_accuracy']:9.2f}% {'-':>10} "
          f"{n_train * recipe['epochs'] / theirs['images_per_second']:8.1f} {theirs['images_per_second']:9.0f} "
          f"{theirs_wall:7.1f}")
    qat = "QAT ran and was " + ("kept" if ours.get("qat_kept") else "not kept") if ours.get("qat_applied") \
        else "no QAT needed"
    if ours["validation_samples"] > 0:
        print(f"int8 validation: post-training {100 * ours['val_accuracy_int8_ptq']:.2f}%, final "
              f"{100 * ours['val_accuracy_int8']:.2f}% ({qat})")
    print(f"hwnas float - PyTorch float: {100 * gap:+.2f} points; hwnas int8 - float: "
          f"{100 * (ours['test_accuracy_int8'] - ours['test_accuracy']):+.2f} points")
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    summary = {"hwnas": ours, "pytorch": theirs, "hwnas_wall_seconds": ours_wall, "pytorch_wall_seconds": theirs_wall,
               "recipe": recipe, "threads": a.threads, "seed": a.seed, "checks": checks}
    with open(os.path.join(folder, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"results: {folder}/summary.json")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
