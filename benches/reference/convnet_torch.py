#!/usr/bin/env python3
"""PyTorch reference for examples/perf_side_by_side.rs: the same ConvNet-3 workloads, same output.

ConvNet-3 (width 128, GroupNorm(128, 128) = instance norm, ReLU, AvgPool 2x2), batch 256, CPU,
float32, on 3x32x32 and 1x28x28 (first conv padded by 3). Workloads (images per second =
256 / median seconds per step, after one warm-up step):
  forward           logits with frozen parameters (no_grad would be faster; like the Rust side,
                    parameters require no grad and the input none, so no graph is kept)
  forward_backward  cross-entropy, gradients of every parameter (a training step without update)
  dm_step           one DM class: embed 256 real and 256 synthetic images through a frozen random
                    network, squared distance of the mean embeddings, backward to the synthetic
                    pixels
  dm_iteration      (only with --workload) DM at IPC 10: 10 classes x (256 real, 10 synthetic);
                    images per second counts the 2560 real images
Peak RSS: VmHWM of /proc/self/status, reset (echo 5 > /proc/self/clear_refs) before each workload.
Prints `RESULT impl=pytorch-<version> workload=... shape=... img_per_s=... runs=... peak_rss_mib=...`.
Exits 0 with a SKIP line when torch is not importable.

Usage: python3 benches/reference/convnet_torch.py [--runs N] [--shape 3x32x32] [--workload NAME]
"""
import argparse
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # ImportError, or OSError/ValueError from missing CUDA libraries
    print(f"SKIP pytorch: cannot import torch ({type(e).__name__}: {e})")
    sys.exit(0)

BATCH = 256
CLASSES = 10


def convnet(channels: int, size: int) -> nn.Module:
    layers, c = [], channels
    for i in range(3):
        pad = 3 if (i == 0 and size == 28) else 1
        layers += [nn.Conv2d(c, 128, 3, padding=pad), nn.GroupNorm(128, 128, affine=True),
                   nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
        c = 128
    features = nn.Sequential(*layers, nn.Flatten())
    return nn.ModuleDict({"features": features, "classifier": nn.Linear(2048, CLASSES)})


def peak_rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def make_step(workload: str, net, shape, gen):
    c, h, w = shape
    randn = lambda n: torch.randn(n, c, h, w, generator=gen)
    embed = net["features"]
    if workload == "forward":
        for p in net.parameters():
            p.requires_grad_(False)
        x = randn(BATCH)

        def step():
            net["classifier"](embed(x))
            return BATCH
        return step
    if workload == "forward_backward":
        x, y = randn(BATCH), torch.randint(0, CLASSES, (BATCH,), generator=gen)

        def step():
            net.zero_grad(set_to_none=True)
            F.cross_entropy(net["classifier"](embed(x)), y).backward()
            return BATCH
        return step
    classes, per_class = (CLASSES, 10) if workload == "dm_iteration" else (1, BATCH)
    for p in net.parameters():
        p.requires_grad_(False)
    real = [randn(BATCH) for _ in range(classes)]
    syn = randn(classes * per_class).requires_grad_(True)

    def step():
        syn.grad = None
        loss = 0.0
        for k in range(classes):
            s = syn[k * per_class:(k + 1) * per_class]
            loss = loss + (embed(real[k]).mean(0) - embed(s).mean(0)).pow(2).sum()
        loss.backward()
        return classes * BATCH
    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--shape", default=None)
    ap.add_argument("--workload", default=None)
    a = ap.parse_args()
    shapes = [tuple(map(int, a.shape.split("x")))] if a.shape else [(3, 32, 32), (1, 28, 28)]
    workloads = [a.workload] if a.workload else ["forward", "forward_backward", "dm_step"]
    label = f"pytorch-{torch.__version__.split('+')[0]}"
    for shape in shapes:
        for workload in workloads:
            torch.manual_seed(0)
            gen = torch.Generator().manual_seed(0)
            reset_peak_rss()
            net = convnet(shape[0], shape[1])
            step = make_step(workload, net, shape, gen)
            step()  # warm-up
            secs, images = [], BATCH
            for _ in range(a.runs):
                t = time.perf_counter()
                images = step()
                secs.append(time.perf_counter() - t)
            secs.sort()
            median = secs[len(secs) // 2]
            print(f"RESULT impl={label} workload={workload} shape={'x'.join(map(str, shape))} "
                  f"img_per_s={images / median:.1f} runs={a.runs} peak_rss_mib={peak_rss_mib():.0f}",
                  flush=True)


if __name__ == "__main__":
    main()
