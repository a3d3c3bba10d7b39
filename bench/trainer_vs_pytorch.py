#!/usr/bin/python3
"""This file implements bench/trainer_vs_pytorch: the hwnas trainer against PyTorch (CPU).

For each reference network (bench/networks/*.json) and batch size it trains the network
with our trainer (build/release/trainer-throughput) and with PyTorch, --repeats times each,
on the same samples, with the same recipe and the same number of threads, one after the
other (never at the same time), and prints a table: median images/s of both, the ratio, our achieved
GFLOP/s and its share of the machine's peak, and both test accuracies. The table is also
written as CSV and JSON (--results-dir, default $HWNAS_BENCH_RESULTS or bench/results).

The PyTorch network is built from the same arch.json by a small translator (build_arch_model),
with the engine's conventions: TensorFlow "same" padding (asymmetric for even inputs and
stride 2), batch-norm epsilon from the file, He truncated-normal convolution kernels,
Glorot-uniform dense kernels, zero biases, weight decay on kernels only, SGD with Nesterov
momentum and a per-step cosine learning rate. A final softmax layer is fused into
CrossEntropyLoss on the logits, as our trainer does.

Runs with Debian's python3-torch: call it with /usr/bin/python3 (see bench/README.md).
"""
import argparse
import csv
import json
import math
import os
import subprocess
import sys
import tempfile
import time

from arch_to_torch import build_arch_model, decay_groups  # noqa: E402 (bench/ is on sys.path)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# (arch.json, the target for ours / PyTorch images/s)
NETWORKS = [("plain_cnn.json", 1.0), ("ds_cnn_small.json", 2.0), ("mobilenet_v2_small.json", 2.0)]


# ---- the PyTorch side (run in a child process, so that each side has the cores alone) -----

def torch_run(a):
    import numpy as np
    import torch
    import torch.nn as nn
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    with open(a.arch) as f:
        arch = json.load(f)

    def load(split):  # NHWC float32 as our trainer saw it -> NCHW
        x = torch.from_numpy(np.load(os.path.join(a.data, split + "_x.npy"))).permute(0, 3, 1, 2)
        return x.contiguous(), torch.from_numpy(np.load(os.path.join(a.data, split + "_y.npy"))).long()

    x_train, y_train = load("train")
    x_test, y_test = load("test")
    model = build_arch_model(arch)
    opt = torch.optim.SGD(decay_groups(model, 5e-4), lr=a.lr, momentum=0.9, nesterov=True)
    loss_fn = nn.CrossEntropyLoss()
    n, b = len(y_train), a.batch
    per_epoch = -(-n // b)
    total = per_epoch * a.epochs
    gen = torch.Generator().manual_seed(a.seed)
    step, seconds = 0, 0.0
    model.train()
    for _ in range(a.epochs):
        loss_sum, correct = 0.0, 0
        start = time.perf_counter()
        order = torch.randperm(n, generator=gen)
        for first in range(0, n, b):
            idx = order[first:first + b]
            x, y = x_train[idx], y_train[idx]
            lr = a.lr * 0.5 * (1.0 + math.cos(math.pi * min(step / total, 1.0)))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            loss = loss_fn(logits, y)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += loss.item() * len(idx)
            correct += int((logits.argmax(1) == y).sum())
        seconds += time.perf_counter() - start
    model.eval()
    right = 0
    with torch.no_grad():
        for first in range(0, len(y_test), b):
            right += int((model(x_test[first:first + b]).argmax(1) == y_test[first:first + b]).sum())
    ok = math.isfinite(loss_sum)
    print(json.dumps({"side": "pytorch", "network": arch.get("name", "unnamed"), "batch": b,
                      "epochs": a.epochs, "threads": torch.get_num_threads(),
                      "train_images": n * a.epochs, "steps": step, "ok": ok,
                      "params": sum(p.numel() for p in model.parameters()),
                      "images_per_second": n * a.epochs / seconds, "train_loss": loss_sum / n,
                      "train_accuracy": correct / n, "test_accuracy": right / len(y_test),
                      "torch": torch.__version__}))


# ---- the driver ---------------------------------------------------------------------------

def busy_seconds():
    """CPU seconds the whole machine has spent busy (all processes; steal excluded)."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:]]
    idle = ticks[3] + ticks[4] + (ticks[7] if len(ticks) > 7 else 0)  # idle, iowait, steal
    return (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_json(cmd):
    """Runs one side; its JSON line plus "other_cores": the cores that other processes
    kept busy meanwhile (machine busy time minus the child's CPU time, over wall time)."""
    import resource
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, start = busy_seconds(), time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    lines = proc.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):  # a failed run (NaN loss) still prints its line
        sys.exit(f"trainer_vs_pytorch: {' '.join(cmd)} failed with exit code {proc.returncode}")
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = used.ru_utime + used.ru_stime - child.ru_utime - child.ru_stime
    result = json.loads(lines[-1])
    result["other_cores"] = max(busy_seconds() - busy - own, 0.0) / wall
    return result


def run_pair(ours_cmd, theirs_cmd, theirs_first, a):
    """Both sides, one after the other. A pair that other processes disturbed (more than
    --quiet-cores busy during either side) is run again, up to --retries times; the least
    disturbed attempt is kept. Speed never decides which attempt is kept."""
    best = None
    for _ in range(a.retries + 1):
        if theirs_first:
            theirs, ours = run_json(theirs_cmd), run_json(ours_cmd)
        else:
            ours, theirs = run_json(ours_cmd), run_json(theirs_cmd)
        disturbed = max(ours["other_cores"], theirs["other_cores"])
        if best is None or disturbed < best[2]:
            best = (ours, theirs, disturbed)
        if disturbed <= a.quiet_cores:
            break
        print(f"  other processes kept {disturbed:.2f} cores busy: running the pair again", flush=True)
    return best


def measure(a, arch, batch, data, dump):
    """--repeats pairs of runs (the order alternates); lists of both sides' results."""
    common = ["--epochs", str(a.epochs), "--batch", str(batch), "--lr", str(a.lr),
              "--threads", str(a.threads), "--seed", str(a.seed)]
    ours_cmd = [os.path.join(a.build_dir, "trainer-throughput"), arch, "--train-limit",
                str(a.train_limit), "--test-limit", str(a.test_limit)] + common
    theirs_cmd = [sys.executable, os.path.abspath(__file__), "--torch-run", arch, "--data", data] + common
    ours, theirs, disturbed = [], [], []
    for rep in range(a.repeats):
        first = ours_cmd + ["--dump-data", data] if dump and rep == 0 else ours_cmd
        o, t, d = run_pair(first, theirs_cmd, rep % 2 == 1, a)  # rep 0: ours first (dump)
        ours.append(o)
        theirs.append(t)
        disturbed.append(d)
    return ours, theirs, max(disturbed)


def clock_mhz():
    """(MHz, where it was read): lscpu's "CPU max MHz" if it has one, else /proc/cpuinfo."""
    try:
        for line in subprocess.run(["lscpu"], stdout=subprocess.PIPE, text=True).stdout.splitlines():
            if line.startswith("CPU max MHz:"):
                return float(line.split(":")[1]), "lscpu CPU max MHz"
    except OSError:
        pass
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1]), "/proc/cpuinfo cpu MHz (nominal; turbo unknown)"
    raise RuntimeError("no CPU clock in lscpu or /proc/cpuinfo")


def cpu_info(key):
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    return ""


def median(values):
    v = sorted(values)
    return (v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2


def row_for(net_file, target, batch, ours, theirs, disturbed, peak):
    """One table row from the repeats: median images/s of each side, accuracy of the first."""
    macs = ours[0]["macs"]
    ips = median([r["images_per_second"] for r in ours])
    torch_ips = median([r["images_per_second"] for r in theirs])
    pair_ratios = [o["images_per_second"] / t["images_per_second"] for o, t in zip(ours, theirs)]
    gflops, torch_gflops = ips * 6 * macs / 1e9, torch_ips * 6 * macs / 1e9
    return {"network": ours[0]["network"], "arch": "bench/networks/" + net_file, "params": ours[0]["params"],
            "macs": macs, "batch": batch, "repeats": len(ours),
            "ours_images_per_second": round(ips, 1), "pytorch_images_per_second": round(torch_ips, 1),
            "ratio": round(ips / torch_ips, 3), "ratio_min": round(min(pair_ratios), 3),
            "ratio_max": round(max(pair_ratios), 3), "target_ratio": target, "meets_target": ips / torch_ips >= target,
            "ours_gflops": round(gflops, 2), "ours_peak_share": round(gflops / peak, 4),
            "pytorch_gflops": round(torch_gflops, 2), "pytorch_peak_share": round(torch_gflops / peak, 4),
            "ours_test_accuracy": ours[0]["test_accuracy"], "pytorch_test_accuracy": theirs[0]["test_accuracy"],
            "ours_train_loss": ours[0]["train_loss"], "pytorch_train_loss": theirs[0]["train_loss"],
            "ours_ok": all(r["ok"] for r in ours), "pytorch_ok": all(r["ok"] for r in theirs),
            "other_cores": round(disturbed, 3),
            "ours_images_per_second_runs": [round(r["images_per_second"], 1) for r in ours],
            "pytorch_images_per_second_runs": [round(r["images_per_second"], 1) for r in theirs]}


def print_table(rows, meta):
    print(f"\ntrainer vs PyTorch {meta['torch']}: Fashion-MNIST 28x28, {meta['train_images']} training "
          f"images x {meta['epochs']} epochs, {meta['test_images']} test images, {meta['threads']} threads, "
          f"SGD Nesterov 0.9, wd 5e-4, lr {meta['lr']} cosine; median of {meta['repeats']} runs per side")
    print(f"{'network':<19} {'params':>6} {'MACs':>8} {'batch':>5} {'ours img/s':>10} {'torch img/s':>11} "
          f"{'ratio (min-max)':>17} {'target':>8} {'ours GF/s':>9} {'%peak':>6} {'torch %pk':>9} "
          f"{'ours acc':>8} {'torch acc':>9} {'others':>6}")
    for r in rows:
        verdict = f">={r['target_ratio']:.0f}x " + ("ok" if r["meets_target"] else "MISS")
        spread = f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}-{r['ratio_max']:.2f})"
        print(f"{r['network']:<19} {r['params']:>6} {r['macs']:>8} {r['batch']:>5} "
              f"{r['ours_images_per_second']:>10.0f} {r['pytorch_images_per_second']:>11.0f} "
              f"{spread:>17} {verdict:>8} {r['ours_gflops']:>9.1f} {100 * r['ours_peak_share']:>5.1f}% "
              f"{100 * r['pytorch_peak_share']:>8.1f}% {100 * r['ours_test_accuracy']:>7.2f}% "
              f"{100 * r['pytorch_test_accuracy']:>8.2f}% {r['other_cores']:>6.2f}"
              + (" (disturbed)" if r["other_cores"] > meta["quiet_cores"] else ""))
    print("ratio: ours / PyTorch median images/s (min-max: the ratios of the single pairs of runs)")
    print("GFLOP/s: training FLOPs = 3 x 2 x MACs per image (forward 2 x MACs, backward 2 x forward); "
          "conv/dense MACs only (nas-run inspect), batch norm, activations, pooling and the update not counted.")
    print(f"peak: {meta['peak_gflops']:.1f} GFLOP/s = {meta['threads']} cores x 2 FMA units x 8 floats (AVX2) "
          f"x 2 flops x {meta['clock_mhz'] / 1000:.3f} GHz ({meta['clock_source']}); CPU: {meta['cpu']}")
    if meta["avx512"]:
        print("NOTE: this CPU also has AVX-512, which -march=native lets Eigen use (and oneDNN uses at run "
              "time): against its peak (twice the above) the shares halve.")
    print(f"others: cores kept busy by other processes during a pair of runs (machine busy time minus the "
          f"benchmark's, over wall time; the worst pair); pairs above {meta['quiet_cores']} are run again, up to "
          f"{meta['retries']} times, and the least disturbed attempt is kept.")
    print("images/s: the epochs' training loops only (batch gather from memory, forward, backward, "
          "update), each side alone on the machine; no warm-up is excluded on either side.")


def write_results(rows, meta, folder):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "trainer_vs_pytorch.json"), "w") as f:
        json.dump({"meta": meta, "rows": rows}, f, indent=1)
    with open(os.path.join(folder, "trainer_vs_pytorch.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[k for k in rows[0] if not k.endswith("_runs")],
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print(f"results: {folder}/trainer_vs_pytorch.{{csv,json}}")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build-dir", default=os.path.join(ROOT, "build", "release"))
    p.add_argument("--batches", default="64,128")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--train-limit", type=int, default=10000, help="training images (stratified subset)")
    p.add_argument("--test-limit", type=int, default=0, help="test images (0: all 10,000)")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3, help="pairs of runs per row; the medians are reported")
    p.add_argument("--networks", default=",".join(n for n, _ in NETWORKS), help="files in bench/networks/")
    p.add_argument("--retries", type=int, default=1,
                   help="runs again a pair that other processes disturbed, up to this many times")
    p.add_argument("--quiet-cores", type=float, default=0.1,
                   help="a pair is disturbed when other processes kept more cores than this busy")
    p.add_argument("--results-dir", default=os.environ.get("HWNAS_BENCH_RESULTS", os.path.join(HERE, "results")))
    p.add_argument("--torch-run", metavar="ARCH", help=argparse.SUPPRESS)  # the child process
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    return p.parse_args()


def main():
    a = parse_args()
    if a.torch_run:
        a.arch = a.torch_run
        return torch_run(a)
    import torch
    targets = dict(NETWORKS)
    mhz, source = clock_mhz()
    meta = {"torch": torch.__version__, "epochs": a.epochs, "threads": a.threads, "lr": a.lr, "seed": a.seed,
            "repeats": a.repeats, "cpu": cpu_info("model name"), "clock_mhz": mhz, "clock_source": source,
            "peak_gflops": a.threads * 2 * 8 * 2 * mhz / 1000.0,
            "flops_convention": "3 x 2 x MACs per training image",
            "avx512": " avx512f" in cpu_info("flags"), "retries": a.retries, "quiet_cores": a.quiet_cores}
    rows = []
    with tempfile.TemporaryDirectory(prefix="hwnas-bench-") as data:
        for net_file in a.networks.split(","):
            arch = os.path.join(HERE, "networks", net_file)
            for batch in [int(b) for b in a.batches.split(",")]:
                ours, theirs, disturbed = measure(a, arch, batch, data, dump=not rows)
                meta["train_images"] = ours[0]["train_images"] // a.epochs
                meta["test_images"] = ours[0]["test_images"]
                rows.append(row_for(net_file, targets.get(net_file, 1.0), batch, ours, theirs, disturbed,
                                    meta["peak_gflops"]))
                print(f"{rows[-1]['network']} batch {batch}: ours {rows[-1]['ours_images_per_second_runs']} img/s, "
                      f"PyTorch {rows[-1]['pytorch_images_per_second_runs']} img/s", flush=True)
    print_table(rows, meta)
    write_results(rows, meta, a.results_dir)


if __name__ == "__main__":
    sys.exit(main())
