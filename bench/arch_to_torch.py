#!/usr/bin/python3
"""This file implements the arch.json -> torch.nn translator of bench/trainer_vs_pytorch.py.

It builds the same network as the engine from an arch.json file, with the engine's
conventions: TensorFlow "same" padding (asymmetric for even inputs and stride 2), batch-norm
epsilon from the file, He truncated-normal convolution kernels, Glorot-uniform dense
kernels, zero biases, and weight decay on kernels only (decay_groups).

Runs with Debian's python3-torch: import it from a script run by /usr/bin/python3.
"""
import math

TRUNCATED_NORMAL_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]


def pair(v):
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def same_pad(size, k, s):
    """TensorFlow "same": out = ceil(size / s); (before, after) padding of one axis."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def window_padding(layer, hw, k, s):
    """(left, right, top, bottom) for F.pad, and the output (h, w)."""
    if layer.get("padding", "same") == "valid":
        return (0, 0, 0, 0), ((hw[0] - k[0]) // s[0] + 1, (hw[1] - k[1]) // s[1] + 1)
    top, bottom = same_pad(hw[0], k[0], s[0])
    left, right = same_pad(hw[1], k[1], s[1])
    return (left, right, top, bottom), (-(-hw[0] // s[0]), -(-hw[1] // s[1]))


def build_arch_model(arch):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Conv(nn.Module):
        """conv2d / depthwise_conv2d with TF padding (symmetric folded into the conv)."""

        def __init__(self, cin, cout, k, s, pad, groups, bias):
            super().__init__()
            symmetric = pad[0] == pad[1] and pad[2] == pad[3]
            self.pad = None if symmetric else pad
            self.conv = nn.Conv2d(cin, cout, k, s, (pad[2], pad[0]) if symmetric else 0,
                                  groups=groups, bias=bias)
            fan_in = (cin // groups) * k[0] * k[1]
            std = math.sqrt(2.0 / fan_in) / TRUNCATED_NORMAL_STD
            nn.init.trunc_normal_(self.conv.weight, 0.0, std, -2 * std, 2 * std)
            if bias:
                nn.init.zeros_(self.conv.bias)

        def forward(self, x):
            return self.conv(F.pad(x, self.pad) if self.pad else x)

    class Pool(nn.Module):
        """max / avg pooling with TF padding (avg over the window's valid elements)."""

        def __init__(self, op, k, s, pad):
            super().__init__()
            self.op, self.k, self.s, self.pad = op, k, s, pad if any(pad) else None

        def forward(self, x):
            if self.op == "max_pool2d":
                x = F.pad(x, self.pad, value=-math.inf) if self.pad else x
                return F.max_pool2d(x, self.k, self.s)
            if not self.pad:
                return F.avg_pool2d(x, self.k, self.s)
            ones = torch.ones_like(x[:1, :1])
            return (F.avg_pool2d(F.pad(x, self.pad), self.k, self.s) /
                    F.avg_pool2d(F.pad(ones, self.pad), self.k, self.s))

    class Dense(nn.Linear):
        def __init__(self, cin, units, bias):
            super().__init__(cin, units, bias=bias)
            nn.init.xavier_uniform_(self.weight)
            if bias:
                nn.init.zeros_(self.bias)

        def forward(self, x):
            return super().forward(x.flatten(1))[:, :, None, None]

    class Lambda(nn.Module):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn

        def forward(self, *xs):
            return self.fn(*xs)

    def to_nhwc_shape(shape):
        return lambda x: x.permute(0, 2, 3, 1).reshape(x.shape[0], *shape).permute(0, 3, 1, 2)

    def make_layer(layer, shapes):
        """The module for `layer` given its inputs' [h, w, c], and its output [h, w, c]."""
        op, (h, w, c) = layer["op"], shapes[0]
        if op in ("conv2d", "depthwise_conv2d"):
            k, s = pair(layer["kernel"]), pair(layer.get("stride", 1))
            pad, (oh, ow) = window_padding(layer, (h, w), k, s)
            depthwise = op == "depthwise_conv2d"
            cout = c * layer.get("depth_multiplier", 1) if depthwise else layer["filters"]
            return Conv(c, cout, k, s, pad, c if depthwise else 1, layer.get("use_bias", True)), [oh, ow, cout]
        if op in ("max_pool2d", "avg_pool2d"):
            k = pair(layer.get("pool", 2))
            s = pair(layer.get("stride", layer.get("pool", 2)))
            pad, (oh, ow) = window_padding(layer, (h, w), k, s)
            return Pool(op, k, s, pad), [oh, ow, c]
        if op == "batch_norm":
            return nn.BatchNorm2d(c, eps=layer.get("epsilon", 0.001)), [h, w, c]
        if op == "relu":
            return nn.ReLU(), [h, w, c]
        if op == "relu6":
            return nn.ReLU6(), [h, w, c]
        if op == "global_avg_pool":
            return Lambda(lambda x: x.mean((2, 3), keepdim=True)), [1, 1, c]
        if op == "flatten":  # NHWC order, as the engine flattens
            return Lambda(to_nhwc_shape((1, 1, h * w * c))), [1, 1, h * w * c]
        if op == "reshape":
            return Lambda(to_nhwc_shape(tuple(layer["shape"]))), list(layer["shape"])
        if op == "dense":
            return Dense(h * w * c, layer["units"], layer.get("use_bias", True)), [1, 1, layer["units"]]
        if op == "add":
            return Lambda(lambda *xs: sum(xs[1:], xs[0])), [h, w, c]
        if op == "concat":
            return Lambda(lambda *xs: torch.cat(xs, 1)), [h, w, sum(x[2] for x in shapes)]
        if op == "softmax":
            return Lambda(lambda x: F.softmax(x, 1)), [h, w, c]
        raise ValueError(f"layer '{layer['name']}': op '{op}' is not translated")

    class ArchModel(nn.Module):
        """Runs the arch.json layers in their listed order; returns the logits (N x classes)."""

        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList()
            self.inputs = []
            shapes = {"input": list(arch["input"]["shape"])}
            prev = "input"
            body = arch["layers"]
            if body[-1]["op"] == "softmax":  # fused into the loss
                body = body[:-1]
            for layer in body:
                names = layer.get("inputs", [prev])
                module, shapes[layer["name"]] = make_layer(layer, [shapes[n] for n in names])
                self.layers.append(module)
                self.inputs.append(names)
                prev = layer["name"]

        def forward(self, x):
            values = {"input": x}
            for module, names, layer in zip(self.layers, self.inputs, arch["layers"]):
                x = values[layer["name"]] = module(*[values[n] for n in names])
            return x.flatten(1)

    return ArchModel()


def decay_groups(model, weight_decay):
    """Weight decay on conv and dense kernels only, as the engine does."""
    import torch.nn as nn
    decay, rest = [], []
    for m in model.modules():
        for name, p in m.named_parameters(recurse=False):
            is_kernel = name == "weight" and isinstance(m, (nn.Conv2d, nn.Linear))
            (decay if is_kernel else rest).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}]


