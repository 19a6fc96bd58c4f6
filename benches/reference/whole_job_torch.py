#!/usr/bin/env python3
"""PyTorch side of the whole-job harness (benches/reference/whole_job.sh): the jobs of
examples/whole_job.rs, written the way the reference code does them (VICO-UoE/DatasetCondensation
main.py, main_DM.py, utils.py evaluate_synset / epoch / DiffAugment / match_loss / distance_wb /
get_loops; GeorgeCazenavette/mtt-distillation distill.py + reparam_module.py; our own code, not a
copy), on the same data file.

  eval_epoch    evaluate_synset on 100 images: ConvNet-3, L epochs of utils.epoch (TensorDataset
                + DataLoader(batch 256, shuffle), DiffAugment per batch with per-sample parameters,
                SGD lr 0.01, momentum 0.9, weight decay 5e-4), then test accuracy on 1,000 images
  dm_iteration  L iterations of main_DM.py's loop (ConvNet without BN): a fresh random network
                with frozen parameters, per class a random real batch (get_images: a permutation
                of the class's indices), Siamese DiffAugment of real and synthetic batch with one
                seed, embed, squared distance of the means; SGD on the images (lr 1, momentum 0.5)
  tad_round     TAD (no official code; our ALGORITHMS.md §6 as trustdd implements it): a one-epoch
                warm-up, then L rounds of: a proxy epoch on the trusted set (batches of 256 joined
                by a proportional slice of the untrusted samples, two DiffAugment views, CE on the
                first view's trusted part + the consistency term), a loss/feature pass (batch 500),
                per-class 2-component GMM on min-max normalised losses (numpy EM, 10 iterations),
                and the reliability recall (L2-normalised features, class anchors, pooled
                covariance, Cholesky, triangular solves, softmax mix, delta 0.9, cap 20%)
  gm_step       L gradient-matching steps of main.py (--method DSA, dis_metric 'ours'), one class
                per step (class s % 10) on one random ConvNet-3 made at the start (parameters
                trainable, never updated): a random real batch of --real-batch (default 256) and the
                class's --ipc (default 10) synthetic images (taken from the data), Siamese
                DiffAugment with one seed, gw_real = grad of CE (detached), gw_syn = grad of CE with
                create_graph, match_loss (distance_wb), backward to the pixels, image SGD (lr 0.1,
                momentum 0.5)
  dc_iteration  L whole iterations of main.py (DSA): a fresh random ConvNet-3 and SGD lr 0.01 for it;
                get_loops(--ipc, default 1) outer steps, each: all 10 classes matched as in gm_step
                (one seed per class, losses summed), one image step, then, except after the last
                outer step, inner_loop epochs of utils.epoch on the synthetic set (batch 256,
                shuffle, per-sample DiffAugment). At IPC 1 (1 outer, 1 inner) the net is never
                trained: the loop breaks after the only image step, as main.py does
  mtt_iteration L iterations of distill.py: --ipc (default 10) images per class from the data, a
                learnable syn_lr (0.01), image SGD lr 100 momentum 0.5, lr SGD lr 1e-5 momentum 0.5;
                a start and a target parameter vector (the flat parameters of two random ConvNet-3
                inits, made once: the benchmark measures the cost, not the expert buffer), then
                --syn-steps (default 20) student steps on batches of --batch-syn (default: all)
                images cycled through a permutation (indices_chunks), per-sample DiffAugment, CE,
                grad of the flat parameters with create_graph, theta - syn_lr * grad (fully
                unrolled); loss |theta_N - target|^2 / |start - target|^2, backward, both steps.
                The student is a flat-vector reparametrisation as reparam_module.py: the vector is
                split into views of the ConvNet's parameter shapes and passed to
                torch.func.functional_call

Threads: torch's default (one per core). Prints `RESULT ...` with the figure the job ends on.
Exits 0 with a SKIP line when torch is not importable.
"""
import argparse
import math
import sys

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except Exception as e:  # ImportError, or OSError from missing CUDA libraries
    print(f"SKIP pytorch: cannot import torch ({type(e).__name__}: {e})")
    sys.exit(0)

CLASSES = 10
STRATEGY = "color_crop_cutout_flip_scale_rotate"


class ConvNet(nn.Module):
    """ConvNet-3: conv 3x3 -> instance norm (GroupNorm(w, w)) -> ReLU -> avg pool 2x2, x3."""

    def __init__(self, channels, size, width):
        super().__init__()
        layers, c, s = [], channels, size
        for i in range(3):
            pad = 3 if (i == 0 and size == 28) else 1
            s = s + 2 * pad - 2
            layers += [nn.Conv2d(c, width, 3, padding=pad), nn.GroupNorm(width, width, affine=True),
                       nn.ReLU(inplace=True), nn.AvgPool2d(2, 2)]
            c, s = width, s // 2
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(width * s * s, CLASSES)

    def embed(self, x):
        return self.features(x).flatten(1)

    def forward(self, x):
        return self.classifier(self.embed(x))


# DiffAugment, single mode (one group per call), Siamese when a seed is given.
class Aug:
    def __init__(self, seed):
        self.seed = seed

    def reseed(self):
        if self.seed >= 0:
            torch.random.manual_seed(self.seed)
            self.seed += 1

    def share(self, t):
        if self.seed >= 0:
            t[:] = t[0].clone()
        return t


def _affine(x, theta):
    return F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=True), align_corners=True)


def aug_scale(x, a):
    n = x.shape[0]
    a.reseed(); sx = torch.rand(n) * (1.2 - 1 / 1.2) + 1 / 1.2
    a.reseed(); sy = torch.rand(n) * (1.2 - 1 / 1.2) + 1 / 1.2
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = sx, sy
    return _affine(x, a.share(theta))


def aug_rotate(x, a):
    n = x.shape[0]
    a.reseed(); t = (torch.rand(n) - 0.5) * 2 * 15.0 / 180 * math.pi
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = torch.cos(t), torch.sin(-t)
    theta[:, 1, 0], theta[:, 1, 1] = torch.sin(t), torch.cos(t)
    return _affine(x, a.share(theta))


def aug_flip(x, a):
    a.reseed(); r = a.share(torch.rand(x.shape[0], 1, 1, 1))
    return torch.where(r < 0.5, x.flip(3), x)


def aug_color(x, a):
    n = x.shape[0]
    a.reseed(); b = a.share(torch.rand(n, 1, 1, 1))
    x = x + (b - 0.5) * 1.0
    m = x.mean(dim=1, keepdim=True)
    a.reseed(); s = a.share(torch.rand(n, 1, 1, 1))
    x = (x - m) * (s * 2.0) + m
    m = x.mean(dim=[1, 2, 3], keepdim=True)
    a.reseed(); c = a.share(torch.rand(n, 1, 1, 1))
    return (x - m) * (c + 0.5) + m


def aug_crop(x, a):
    n, _, h, w = x.shape
    sh, sw = int(h * 0.125 + 0.5), int(w * 0.125 + 0.5)
    a.reseed(); tx = a.share(torch.randint(-sh, sh + 1, size=[n, 1, 1]))
    a.reseed(); ty = a.share(torch.randint(-sw, sw + 1, size=[n, 1, 1]))
    gb, gx, gy = torch.meshgrid(torch.arange(n), torch.arange(h), torch.arange(w), indexing="ij")
    gx = torch.clamp(gx + tx + 1, 0, h + 1)
    gy = torch.clamp(gy + ty + 1, 0, w + 1)
    xp = F.pad(x, [1, 1, 1, 1])
    return xp.permute(0, 2, 3, 1).contiguous()[gb, gx, gy].permute(0, 3, 1, 2)


def aug_cutout(x, a):
    n, _, h, w = x.shape
    ch, cw = int(h * 0.5 + 0.5), int(w * 0.5 + 0.5)
    a.reseed(); ox = a.share(torch.randint(0, h + (1 - ch % 2), size=[n, 1, 1]))
    a.reseed(); oy = a.share(torch.randint(0, w + (1 - cw % 2), size=[n, 1, 1]))
    gb, gx, gy = torch.meshgrid(torch.arange(n), torch.arange(ch), torch.arange(cw), indexing="ij")
    gx = torch.clamp(gx + ox - ch // 2, 0, h - 1)
    gy = torch.clamp(gy + oy - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w)
    mask[gb, gx, gy] = 0
    return x * mask.unsqueeze(1)


GROUPS = {"color": aug_color, "crop": aug_crop, "cutout": aug_cutout, "flip": aug_flip,
          "scale": aug_scale, "rotate": aug_rotate}


def diff_augment(x, seed=-1):
    a = Aug(seed)
    names = STRATEGY.split("_")
    a.reseed()
    p = names[torch.randint(0, len(names), size=(1,)).item()]
    return GROUPS[p](x, a).contiguous()


def read_data(path):
    raw = np.fromfile(path, dtype=np.uint8)
    n, c, h, w = (int(v) for v in raw[:16].view("<u4"))
    # The whole training set as one normalised float tensor, as the reference's images_all.
    pixels = raw[16:16 + n * c * h * w].reshape(n, c, h, w).astype(np.float32)
    pixels /= 255.0
    for ch in range(c):
        plane = pixels[:, ch]
        mean, std = plane.mean(dtype=np.float64), plane.std(dtype=np.float64)
        plane -= mean
        plane /= std
    labels = raw[16 + n * c * h * w:].astype(np.int64)
    return torch.from_numpy(pixels), torch.from_numpy(labels)


def sgd(params, lr, momentum, wd=0.0):
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)


def get_loops(ipc):
    """main.py's (outer_loop, inner_loop) per IPC (utils.get_loops); other IPCs exit as there."""
    table = {1: (1, 1), 10: (10, 50), 20: (20, 25), 30: (30, 20), 40: (40, 15), 50: (50, 10)}
    if ipc not in table:
        sys.exit(f"loop hyper-parameters are not defined for {ipc} ipc")
    return table[ipc]


def distance_wb(gwr, gws):
    """utils.distance_wb: sum over output channels of 1 - cosine. Conv weights out x (in*kh*kw),
    3-D (layer norm) C x (h*w), linear weights per output row; every 1-D tensor (conv and linear
    biases, GroupNorm weight and bias) counts 0, as the reference returns 0 for them."""
    shape = gwr.shape
    if len(shape) == 1:
        return torch.tensor(0.0)
    if len(shape) == 4:
        gwr = gwr.reshape(shape[0], shape[1] * shape[2] * shape[3])
        gws = gws.reshape(shape[0], shape[1] * shape[2] * shape[3])
    elif len(shape) == 3:
        gwr = gwr.reshape(shape[0], shape[1] * shape[2])
        gws = gws.reshape(shape[0], shape[1] * shape[2])
    cos = torch.sum(gwr * gws, dim=-1) / (torch.norm(gwr, dim=-1) * torch.norm(gws, dim=-1) + 0.000001)
    return torch.sum(1 - cos)


def match_loss(gw_syn, gw_real):
    """utils.match_loss with dis_metric 'ours'."""
    dis = torch.tensor(0.0)
    for gws, gwr in zip(gw_syn, gw_real):
        dis = dis + distance_wb(gwr, gws)
    return dis


def class_indices(labels):
    labels_np = labels.numpy()
    return [np.nonzero(labels_np == c)[0] for c in range(CLASSES)]


def get_images(images, by_class, c, n):
    """main.py's get_images: n random images of class c (a numpy permutation of its indices)."""
    return images[torch.from_numpy(np.random.permutation(by_class[c])[:n])]


def real_init(images, by_class, ipc):
    """The synthetic set (init 'real'): ipc images per class, class-major, and its labels."""
    syn = torch.cat([get_images(images, by_class, c, ipc) for c in range(CLASSES)])
    label_syn = torch.arange(CLASSES).repeat_interleave(ipc)
    return syn.detach().clone().requires_grad_(True), label_syn


def class_match(net, params, images, by_class, syn, c, ipc, real_batch):
    """main.py's per-class body: real and synthetic batch, Siamese DSA, the two gradients and
    their match_loss (a graph back to the synthetic pixels)."""
    img_real = get_images(images, by_class, c, real_batch)
    lab_real = torch.full((img_real.shape[0],), c, dtype=torch.long)
    img_syn = syn[c * ipc:(c + 1) * ipc]
    lab_syn = torch.full((ipc,), c, dtype=torch.long)
    seed = int(np.random.randint(0, 100000))  # main.py: int(time.time() * 1000) % 100000
    img_real = diff_augment(img_real, seed)
    img_syn = diff_augment(img_syn, seed)
    gw_real = torch.autograd.grad(F.cross_entropy(net(img_real), lab_real), params)
    gw_real = [g.detach().clone() for g in gw_real]
    gw_syn = torch.autograd.grad(F.cross_entropy(net(img_syn), lab_syn), params, create_graph=True)
    return match_loss(gw_syn, gw_real)


def gm_step(images, labels, width, length, real_batch, ipc):
    by_class = class_indices(labels)
    syn, _ = real_init(images, by_class, ipc)
    opt = sgd([syn], 0.1, 0.5)
    net = ConvNet(images.shape[1], images.shape[2], width)
    net.train()
    params = list(net.parameters())
    loss_value = 0.0
    for s in range(length):
        loss = class_match(net, params, images, by_class, syn, s % CLASSES, ipc, real_batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = loss.item()
    return f"loss={loss_value:.4f}"


def train_epoch(loader, net, opt):
    """utils.epoch('train', ..., aug=True) with DSA: per-sample DiffAugment per batch."""
    net.train()
    loss_sum, num = 0.0, 0
    for img, lab in loader:
        img = diff_augment(img)
        loss = F.cross_entropy(net(img), lab)
        loss_sum += loss.item() * lab.shape[0]
        num += lab.shape[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss_sum / num


def dc_iteration(images, labels, width, length, real_batch, ipc):
    by_class = class_indices(labels)
    outer_loop, inner_loop = get_loops(ipc)
    syn, label_syn = real_init(images, by_class, ipc)
    opt_img = sgd([syn], 0.1, 0.5)
    loss_avg = 0.0
    for _ in range(length):
        net = ConvNet(images.shape[1], images.shape[2], width)
        net.train()
        params = list(net.parameters())
        opt_net = torch.optim.SGD(net.parameters(), lr=0.01)
        opt_net.zero_grad()
        loss_avg = 0.0
        for ol in range(outer_loop):
            loss = torch.tensor(0.0)
            for c in range(CLASSES):
                loss = loss + class_match(net, params, images, by_class, syn, c, ipc, real_batch)
            opt_img.zero_grad()
            loss.backward()
            opt_img.step()
            loss_avg += loss.item()
            if ol == outer_loop - 1:
                break
            # main.py: a copy of the synthetic set, DataLoader(batch_train 256, shuffle)
            data = torch.utils.data.TensorDataset(syn.detach().clone(), label_syn.clone())
            loader = torch.utils.data.DataLoader(data, batch_size=256, shuffle=True, num_workers=0)
            for _ in range(inner_loop):
                train_epoch(loader, net, opt_net)
        loss_avg /= CLASSES * outer_loop
    return f"loss={loss_avg:.4f}"


def flat_params(net):
    return torch.cat([p.detach().reshape(-1) for p in net.parameters()])


def mtt_iteration(images, labels, width, length, ipc, syn_steps, batch_syn):
    by_class = class_indices(labels)
    image_syn, label_syn = real_init(images, by_class, ipc)
    syn_lr = torch.tensor(0.01).requires_grad_(True)
    opt_img = sgd([image_syn], 100.0, 0.5)
    opt_lr = sgd([syn_lr], 1e-5, 0.5)
    c, size = images.shape[1], images.shape[2]
    student = ConvNet(c, size, width)
    student.train()
    names = [n for n, _ in student.named_parameters()]
    shapes = [p.shape for p in student.parameters()]
    numels = [p.numel() for p in student.parameters()]
    num_params = sum(numels)

    def forward(flat, x):  # reparam_module.py's forward with flat_param
        views = {n: t.view(s) for n, t, s in zip(names, flat.split(numels), shapes)}
        return torch.func.functional_call(student, views, (x,))

    starting_params = flat_params(ConvNet(c, size, width))
    target_params = flat_params(ConvNet(c, size, width))
    batch_syn = batch_syn or len(image_syn)
    loss_value = 0.0
    for _ in range(length):
        student_params = [starting_params.clone().requires_grad_(True)]
        indices_chunks = []
        for _ in range(syn_steps):
            if not indices_chunks:
                indices = torch.randperm(len(image_syn))
                indices_chunks = list(torch.split(indices, batch_syn))
            these = indices_chunks.pop()
            x = diff_augment(image_syn[these])
            ce = F.cross_entropy(forward(student_params[-1], x), label_syn[these])
            grad = torch.autograd.grad(ce, student_params[-1], create_graph=True)[0]
            student_params.append(student_params[-1] - syn_lr * grad)
        param_loss = F.mse_loss(student_params[-1], target_params, reduction="sum") / num_params
        param_dist = F.mse_loss(starting_params, target_params, reduction="sum") / num_params
        grand_loss = param_loss / param_dist
        opt_img.zero_grad()
        opt_lr.zero_grad()
        grand_loss.backward()
        opt_img.step()
        opt_lr.step()
        loss_value = grand_loss.item()
        del student_params
    return f"loss={loss_value:.4f} syn_lr={syn_lr.item():.6f}"


def eval_epoch(images, labels, width, length):
    ids = torch.cat([torch.nonzero(labels == c).flatten()[:10] for c in range(CLASSES)])
    x_syn, y_syn = images[ids].clone(), labels[ids].clone()
    net = ConvNet(images.shape[1], images.shape[2], width)
    lr, schedule = 0.01, [length // 2]
    opt = sgd(net.parameters(), lr, 0.9, 5e-4)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_syn, y_syn),
                                         batch_size=256, shuffle=True, num_workers=0)
    net.train()
    for ep in range(length):
        if ep in schedule:
            lr *= 0.1
            opt = sgd(net.parameters(), lr, 0.9, 5e-4)
        for img, lab in loader:
            out = net(diff_augment(img))
            loss = F.cross_entropy(out, lab)
            opt.zero_grad()
            loss.backward()
            opt.step()
    net.eval()
    with torch.no_grad():
        correct = 0
        for s in range(0, 1000, 256):
            correct += (net(images[s:s + 256][: 1000 - s]).argmax(1) == labels[s:min(s + 256, 1000)]).sum().item()
    return f"accuracy={correct / 1000:.4f}"


def dm_iteration(images, labels, width, length, real_batch):
    by_class = [torch.nonzero(labels == c).flatten() for c in range(CLASSES)]
    ipc = 10
    syn = torch.cat([images[by_class[c][torch.randperm(len(by_class[c]))[:ipc]]]
                     for c in range(CLASSES)]).detach().clone().requires_grad_(True)
    opt = sgd([syn], 1.0, 0.5)
    loss_value = 0.0
    for _ in range(length):
        net = ConvNet(images.shape[1], images.shape[2], width)
        net.train()
        for p in net.parameters():
            p.requires_grad = False
        loss = torch.tensor(0.0)
        for c in range(CLASSES):
            real = images[by_class[c][torch.randperm(len(by_class[c]))[:real_batch]]]
            s = syn[c * ipc:(c + 1) * ipc]
            seed = int(torch.randint(0, 100000, (1,)).item())
            real = diff_augment(real, seed)
            s = diff_augment(s, seed)
            loss = loss + ((net.embed(real).detach().mean(0) - net.embed(s).mean(0)) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_value = loss.item()
    return f"loss={loss_value:.4f}"


def gmm2(x, iters=10, tol=1e-2, reg=5e-4):
    """Two-component 1-D Gaussian mixture by EM (sklearn-style initialisation at the quantiles)."""
    mu = np.quantile(x, [0.25, 0.75])
    var = np.full(2, x.var() + reg)
    w = np.full(2, 0.5)
    prev = -np.inf
    for _ in range(iters):
        logp = -0.5 * ((x[:, None] - mu) ** 2 / var + np.log(2 * np.pi * var)) + np.log(w)
        top = logp.max(1, keepdims=True)
        ll = top[:, 0] + np.log(np.exp(logp - top).sum(1))
        resp = np.exp(logp - ll[:, None])
        nk = resp.sum(0) + 1e-12
        w, mu = nk / len(x), (resp * x[:, None]).sum(0) / nk
        var = (resp * (x[:, None] - mu) ** 2).sum(0) / nk + reg
        if abs(ll.mean() - prev) < tol:
            break
        prev = ll.mean()
    return resp[:, np.argmin(mu)]


def outputs(net, images, labels):
    net.eval()
    losses, preds, feats = [], [], []
    with torch.no_grad():
        for s in range(0, len(images), 500):
            h = net.embed(images[s:s + 500])
            logits = net.classifier(h)
            losses.append(F.cross_entropy(logits, labels[s:s + 500], reduction="none"))
            preds.append(logits.argmax(1))
            feats.append(h)
    net.train()
    return torch.cat(losses).double().numpy(), torch.cat(preds), torch.cat(feats).double()


def partition(losses, labels_np):
    trusted = np.zeros(len(losses), dtype=bool)
    for c in range(CLASSES):
        ids = np.nonzero(labels_np == c)[0]
        l = losses[ids]
        span = l.max() - l.min()
        z = (l - l.min()) / span if span > 0 else np.zeros_like(l)
        trusted[ids] = gmm2(z) > 0.5
    return trusted


def recall(feats, labels, trusted, t_m=50.0, t_s=0.02, alpha=0.5, delta=0.9, cap=0.2):
    z = F.normalize(feats, dim=1)
    t = torch.from_numpy(np.nonzero(trusted)[0])
    u = torch.from_numpy(np.nonzero(~trusted)[0])
    zt, yt = z[t], labels[t]
    anchors = torch.stack([zt[yt == c].mean(0) for c in range(CLASSES)])
    d = zt - anchors[yt]
    sigma = d.T @ d / len(t)
    sigma += torch.eye(sigma.shape[0], dtype=sigma.dtype) * (1e-3 * sigma.trace() / sigma.shape[0])
    chol = torch.linalg.cholesky(sigma)
    w = torch.linalg.solve_triangular(chol, z[u].T, upper=False)
    wa = torch.linalg.solve_triangular(chol, anchors.T, upper=False)
    maha = ((w.T[:, None, :] - wa.T[None, :, :]) ** 2).sum(-1)
    cos = F.normalize(z[u], dim=1) @ F.normalize(anchors, dim=1).T
    r = alpha * torch.softmax(-maha / t_m, 1) + (1 - alpha) * torch.softmax(cos / t_s, 1)
    best, cls = r.max(1)
    keep = torch.nonzero(best > delta).flatten()
    keep = keep[best[keep].argsort(descending=True)][: int(cap * len(u))]
    new = trusted.copy()
    new[u[keep].numpy()] = True
    working = labels.clone()
    working[u[keep]] = cls[keep]
    return new, working


def proxy_epoch(net, opt, images, working, trusted, untrusted, cr=True):
    t = trusted[torch.randperm(len(trusted))]
    u = untrusted[torch.randperm(len(untrusted))]
    batches = math.ceil(len(t) / 256)
    extra = math.ceil(len(u) / batches) if cr and len(u) else 0
    for b in range(batches):
        tb = t[b * 256:(b + 1) * 256]
        ids = torch.cat([tb, u[b * extra:(b + 1) * extra]]) if extra else tb
        x = images[ids]
        if cr:
            logits = net(torch.cat([diff_augment(x), diff_augment(x)]))
            l1, l2 = logits[:len(ids)], logits[len(ids):]
            loss = F.cross_entropy(l1[:len(tb)], working[tb])
            loss = loss + ((l1.softmax(1) - l2.softmax(1)) ** 2).sum(1).mean()
        else:
            loss = F.cross_entropy(net(diff_augment(x)), working[tb])
        opt.zero_grad()
        loss.backward()
        opt.step()


def tad_round(images, labels, width, length):
    net = ConvNet(images.shape[1], images.shape[2], width)
    net.train()
    everyone = torch.arange(len(images))
    working = labels.clone()
    proxy_epoch(net, sgd(net.parameters(), 0.01, 0.9, 5e-4), images, working, everyone,
                everyone[:0], cr=False)
    labels_np = labels.numpy()
    for r in range(length + 1):
        if r > 0:
            t = torch.from_numpy(np.nonzero(trusted)[0])
            u = torch.from_numpy(np.nonzero(~trusted)[0])
            proxy_epoch(net, sgd(net.parameters(), 0.01, 0.9, 5e-4), images, working, t, u)
        losses, _, feats = outputs(net, images, labels)
        trusted = partition(losses, labels_np)
        trusted, working = recall(feats, labels, trusted)
    return f"trusted={int(trusted.sum())}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--job", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--width", type=int, default=128)
    ap.add_argument("--length", type=int, default=1)
    ap.add_argument("--real-batch", type=int, default=None,
                    help="real images per class (default 64 for dm_iteration, 256 for gm_step and "
                         "dc_iteration)")
    ap.add_argument("--ipc", type=int, default=None,
                    help="synthetic images per class (default 1 for dc_iteration, else 10)")
    ap.add_argument("--syn-steps", type=int, default=20)
    ap.add_argument("--batch-syn", type=int, default=None, help="default: the whole synthetic set")
    a = ap.parse_args()
    real_batch = a.real_batch or (64 if a.job == "dm_iteration" else 256)
    ipc = a.ipc or (1 if a.job == "dc_iteration" else 10)
    torch.manual_seed(0)
    np.random.seed(0)
    images, labels = read_data(a.data)
    if a.job == "eval_epoch":
        out = eval_epoch(images, labels, a.width, a.length)
    elif a.job == "dm_iteration":
        out = dm_iteration(images, labels, a.width, a.length, real_batch)
    elif a.job == "tad_round":
        out = tad_round(images, labels, a.width, a.length)
    elif a.job == "gm_step":
        out = gm_step(images, labels, a.width, a.length, real_batch, ipc)
    elif a.job == "dc_iteration":
        out = dc_iteration(images, labels, a.width, a.length, real_batch, ipc)
    elif a.job == "mtt_iteration":
        out = mtt_iteration(images, labels, a.width, a.length, ipc, a.syn_steps, a.batch_syn)
    else:
        sys.exit(f"unknown job {a.job}")
    print(f"RESULT impl=pytorch-{torch.__version__.split('+')[0]} job={a.job} {out}", flush=True)


if __name__ == "__main__":
    main()
