#!/usr/bin/python3
"""This file implements bench/trainer_parity: does the engine's trainer optimise a network the
way PyTorch does, step by step?

`trainer-parity` (bench/trainer_parity.cpp) trains an arch.json for a few mini-batches in file
order from its seed's initialisation and dumps the initial weights, the first step's gradient,
every step's loss and the final weights. This script loads the same initial weights into the
torch.nn translation (bench/arch_to_torch.py), replays the same batches with the same SGD
recipe (Nesterov momentum 0.9, weight decay 5e-4 on kernels, the same learning rates), and
prints per parameter block the relative difference of the first gradient and of the final
weights, and the two loss curves. Float32 rounding makes the runs drift apart slowly;
a real difference in a kernel shows as a large first-gradient difference in one block.

Usage: bench/trainer_parity.py ARCH --data SPLITS_DIR [--steps N] (builds nothing: run
bench/prepare_torch_bench.sh first).
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from arch_to_torch import build_arch_model, decay_groups  # noqa: E402

TORCH_NAMES = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
               "moving_mean": "running_mean", "moving_variance": "running_var"}


def to_torch_layout(values, op, tensor):
    """Engine layout (HWIO conv, (KH, KW, C, M) depthwise, (in, units) dense) -> torch's."""
    if op == "conv2d" and values.size == tensor.numel() and tensor.dim() == 4:
        kh, kw = tensor.shape[2], tensor.shape[3]
        return values.reshape(kh, kw, tensor.shape[1], tensor.shape[0]).transpose(3, 2, 0, 1)
    if op == "depthwise_conv2d" and tensor.dim() == 4:
        kh, kw = tensor.shape[2], tensor.shape[3]
        return values.reshape(kh, kw, tensor.shape[0]).transpose(2, 0, 1)[:, None]
    if op == "dense" and tensor.dim() == 2:
        return values.reshape(tensor.shape[1], tensor.shape[0]).T
    return values.reshape(tensor.shape)


def block_tensors(model, arch, manifest):
    """[(block, torch tensor)] for every block of the manifest."""
    out = []
    for b in manifest["blocks"]:
        module = model.layers[b["layer"]]
        module = getattr(module, "conv", module)
        out.append((b, getattr(module, TORCH_NAMES[b["name"]])))
    return out


def load_into(pairs, arch, flat):
    import torch
    for b, t in pairs:
        values = flat[b["offset"]:b["offset"] + b["size"]]
        op = arch["layers"][b["layer"]]["op"]
        with torch.no_grad():
            t.copy_(torch.from_numpy(np.ascontiguousarray(to_torch_layout(values, op, t))))


def engine_layout(pairs, arch, get):
    """Flattens get(tensor) of every block back into the engine's layout."""
    parts = []
    for b, t in pairs:
        op = arch["layers"][b["layer"]]["op"]
        v = get(t).detach().numpy().copy()
        if op == "conv2d" and v.ndim == 4:
            v = v.transpose(2, 3, 1, 0)
        elif op == "depthwise_conv2d" and v.ndim == 4:
            v = v[:, 0].transpose(1, 2, 0)
        elif op == "dense" and v.ndim == 2:
            v = v.T
        parts.append(np.ascontiguousarray(v).reshape(-1))
    return parts


def rel(a, b):
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def main():
    import torch
    import torch.nn.functional as F
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("arch")
    p.add_argument("--data", required=True)
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--binary", default=os.path.join(os.path.dirname(HERE), "build", "release", "trainer-parity"))
    p.add_argument("--out", default="/tmp/trainer-parity")
    a = p.parse_args()
    subprocess.run([a.binary, a.arch, "--data", a.data, "--out", a.out, "--steps", str(a.steps),
                    "--batch", str(a.batch), "--lr", str(a.lr), "--seed", str(a.seed),
                    "--threads", str(a.threads)], check=True)
    torch.set_num_threads(a.threads)
    with open(a.arch) as f:
        arch = json.load(f)
    with open(os.path.join(a.out, "weights.json")) as f:
        manifest = json.load(f)
    with open(os.path.join(a.out, "losses.json")) as f:
        ours = json.load(f)
    init = np.fromfile(os.path.join(a.out, "init.bin"), "<f4")
    final = np.fromfile(os.path.join(a.out, "final.bin"), "<f4")
    grad0 = np.fromfile(os.path.join(a.out, "grad0.bin"), "<f4")

    model = build_arch_model(arch)
    pairs = block_tensors(model, arch, manifest)
    load_into(pairs, arch, init)
    momentum_of = {}
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.momentum = 1.0 - arch_momentum(arch, m)
    opt = torch.optim.SGD(decay_groups(model, 5e-4), lr=a.lr, momentum=0.9, nesterov=True)
    x = torch.from_numpy(np.load(os.path.join(a.data, "train_x.npy"), mmap_mode="r")[:a.steps * a.batch].copy())
    y = torch.from_numpy(np.load(os.path.join(a.data, "train_y.npy"))[:a.steps * a.batch].astype(np.int64))
    x = x.reshape(x.shape[0], *arch["input"]["shape"]).permute(0, 3, 1, 2).contiguous()
    model.train()
    losses = []
    for step, entry in enumerate(ours):
        xb, yb = x[step * a.batch:(step + 1) * a.batch], y[step * a.batch:(step + 1) * a.batch]
        for g in opt.param_groups:
            g["lr"] = entry["lr"]
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        if step == 0:
            theirs_grad = engine_layout(pairs, arch, lambda t: t.grad if t.grad is not None else t)
        opt.step()
        losses.append(float(loss))

    print(f"{'block':28} {'|grad0| rel diff':>16} {'final rel diff':>15}")
    final_theirs = engine_layout(pairs, arch, lambda t: t)
    for i, (b, _) in enumerate(pairs):
        name = f"{b['layer_name']}.{b['name']}"
        seg = slice(b["offset"], b["offset"] + b["size"])
        g = rel(grad0[seg], theirs_grad[i]) if b["trainable"] else float("nan")
        print(f"{name:28} {g:16.2e} {rel(final[seg], final_theirs[i]):15.2e}")
    print("step   ours loss  torch loss")
    for s in list(range(0, len(ours), max(1, len(ours) // 20))) + [len(ours) - 1]:
        print(f"{s:4} {ours[s]['loss']:11.5f} {losses[s]:11.5f}")


def arch_momentum(arch, module):
    return 0.99  # the engine's moving-average momentum (Keras convention)


if __name__ == "__main__":
    main()
