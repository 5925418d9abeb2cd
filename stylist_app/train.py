"""The one training loop every model uses.

A model is a plain nn.Module that provides
- `loss(batch) -> scalar tensor`: its paper's objective on one mini-batch;
- optionally `validate(valid_data) -> dict[str, float]`: held-out metrics, called after every
  epoch in eval mode without gradients; early stopping watches `TrainConfig.metric` in it;
- optionally `optimizer_groups() -> dict[str, list[Parameter]]`, for adversarial training (the
  GAN's discriminator and generator): one optimizer per group, stepped in the dict's order,
  each on `loss(batch, group)` computed after the previous group's step.

`fit` shuffles `train_data` each epoch with a seeded generator and cuts it into batches: row
slices of a Tensor (moved to the device), or lists of elements of any other sequence (the
model moves what it needs, e.g. to `next(self.parameters()).device`). Losses and validation run
in the model's own precision: only the pre-trained encoders inside a model use bf16 autocast on
CUDA (`models/encoders.py`), so logits, scores and the early-stopping metric are float32 on
every device.

Under `torchrun` (WORLD_SIZE > 1) the same call trains data-parallel with
`torch.nn.parallel.DistributedDataParallel` (gloo on CPU, nccl on CUDA, each rank on the GPU
of its LOCAL_RANK): DDP starts every rank from rank 0's weights and averages the gradients in
backward; each rank takes its share of each epoch's shuffled order, so all ranks hold the same
weights throughout; only rank 0 shows progress and writes checkpoints.
"""
from __future__ import annotations

import contextlib
import os
import random
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm.auto import tqdm

from stylist_app.errors import BadInput


@dataclass
class TrainConfig:
    epochs: int = 10
    lr: float = 1e-3
    batch_size: int = 256
    weight_decay: float = 0.0
    patience: int = 3  # epochs without a better validation metric before stopping (0: never stop early)
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda  (auto: cuda when available)
    metric: str = "auc"  # validation metric to early-stop on; names ending in "loss" are minimised
    optimizer: str = "adamw"  # adamw | sgd
    lr_decay_every: int = 0  # multiply the lr by lr_decay every this many epochs (0: constant)
    lr_decay: float = 0.5
    grad_clip: float = 0.0  # max gradient norm (0: no clipping)
    betas: tuple[float, float] = (0.9, 0.999)  # AdamW's moment decays (GANs train with beta1 = 0.5)


@dataclass
class TrainResult:
    state: dict  # the best epoch's weights (CPU tensors), already loaded back into the model
    history: list[dict]  # per epoch: epoch, loss (train), validation metrics, seconds
    best_epoch: int
    best: dict  # the best epoch's record


def distributed() -> tuple[int, int]:
    """(rank, world size): (0, 1) normally; under torchrun, initialises the process group once (nccl with
    this rank's GPU, `torch.cuda.set_device(LOCAL_RANK)`, when there is CUDA; gloo on the CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), dist.get_world_size()


def is_main_process() -> bool:
    """False on every rank but 0 of a distributed run (those ranks neither print nor write files)."""
    return not dist.is_initialized() or dist.get_rank() == 0


def pick_device(device: str = "auto") -> torch.device:
    """"auto" -> cuda when available, else cpu; "cuda" without a GPU is an error, not a silent fallback.
    Under torchrun each rank takes the GPU of its LOCAL_RANK."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and "LOCAL_RANK" in os.environ:
        device = f"cuda:{os.environ['LOCAL_RANK']}"
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise BadInput(f"unknown device {device!r} (expected auto, cpu or cuda)")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BadInput(f"device {device!r} asked for, but no CUDA GPU is available (use --device cpu or auto)")
    return torch.device(device)


@contextlib.contextmanager
def cpu_threads(n: int):
    """Run the block with `n` torch CPU threads, then restore the previous number."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, betas=cfg.betas, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    raise ValueError(f"unknown optimizer {cfg.optimizer!r} (expected adamw or sgd)")


def _batch(data, idx: torch.Tensor, device: torch.device):
    if torch.is_tensor(data):
        return data[idx].to(device, non_blocking=True)
    return [data[i] for i in idx.tolist()]


class _Loss(nn.Module):
    """`model.loss(...)` as a forward pass, so that DistributedDataParallel (which hooks `forward`) can wrap it."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, *args):
        return self.model.loss(*args)


def _better(value: float, best: float | None, metric: str) -> bool:
    if best is None:
        return True
    return value < best if metric.endswith("loss") else value > best


def fit(model: nn.Module, train_data, cfg: TrainConfig, valid_data=None) -> TrainResult:
    """Train `model` on `train_data` under `cfg`; keep the weights of the best epoch.

    With `valid_data` and a `validate` method, "best" is the best `cfg.metric` and training stops
    after `cfg.patience` epochs without improvement; otherwise it is the lowest training loss.
    """
    if len(train_data) == 0 or cfg.epochs < 1:
        raise ValueError(f"nothing to train: {len(train_data)} examples, {cfg.epochs} epochs")
    rank, world = distributed()
    device = pick_device(cfg.device)
    seed_everything(cfg.seed)
    model.to(device)
    loss_of = _Loss(model)
    if world > 1:
        # DDP sends rank 0's weights to every rank and averages the gradients in backward. Buffers (catalog
        # tensors, BatchNorm statistics) are not re-sent every step; a GAN step leaves one player's weights unused.
        loss_of = DistributedDataParallel(loss_of, device_ids=[device.index] if device.type == "cuda" else None,
                                          broadcast_buffers=False, find_unused_parameters=True)
    if hasattr(model, "optimizer_groups"):
        groups = model.optimizer_groups()
    else:
        groups = {"model": [p for p in model.parameters() if p.requires_grad]}
    opts = {name: _optimizer(params, cfg) for name, params in groups.items()}
    scheds = [torch.optim.lr_scheduler.StepLR(o, cfg.lr_decay_every, cfg.lr_decay)
              for o in opts.values()] if cfg.lr_decay_every else []
    validating = valid_data is not None and hasattr(model, "validate")
    metric = cfg.metric if validating else "loss"
    gen = torch.Generator().manual_seed(cfg.seed)
    history, best_value, best_epoch, best_state, stale = [], None, 0, None, 0

    for epoch in range(1, cfg.epochs + 1):
        t0 = time.time()
        model.train()
        sums, seen = dict.fromkeys(opts, 0.0), 0
        order = torch.randperm(len(train_data), generator=gen)
        if world > 1:  # equal shares, so every rank takes the same number of steps
            order = order[: len(order) // world * world][rank::world]
        bar = tqdm(range(0, len(order), cfg.batch_size), desc=f"epoch {epoch}/{cfg.epochs}", leave=False,
                   disable=rank != 0)
        for start in bar:
            batch = _batch(train_data, order[start:start + cfg.batch_size], device)
            for name, opt in opts.items():
                opt.zero_grad(set_to_none=True)
                loss = loss_of(batch) if len(opts) == 1 else loss_of(batch, name)
                loss.backward()
                if cfg.grad_clip:
                    nn.utils.clip_grad_norm_(groups[name], cfg.grad_clip)
                opt.step()
                sums[name] += loss.item() * len(batch)
            seen += len(batch)
            bar.set_postfix(loss=f"{sum(sums.values()) / seen:.4f}")
        for s in scheds:
            s.step()

        record = {"epoch": epoch, "loss": sum(sums.values()) / seen}
        if len(opts) > 1:
            record.update({f"loss_{name}": v / seen for name, v in sums.items()})
        if validating:
            model.eval()
            with torch.no_grad():
                record.update(model.validate(valid_data))
        record["seconds"] = round(time.time() - t0, 2)
        history.append(record)
        if metric not in record:
            raise ValueError(f"early-stopping metric {metric!r} is not among the validation results {sorted(record)}")
        shown = "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in record.items())
        if _better(record[metric], best_value, metric):
            best_value, best_epoch, stale = record[metric], epoch, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
            shown += "  (best)"
        else:
            stale += 1
        if rank == 0:
            tqdm.write(shown)
        if validating and cfg.patience and stale >= cfg.patience:
            if rank == 0:
                tqdm.write(f"early stop: no better {metric} for {stale} epochs; best epoch {best_epoch}")
            break

    model.load_state_dict(best_state)
    return TrainResult(best_state, history, best_epoch, history[best_epoch - 1])
