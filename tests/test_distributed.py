"""Data-parallel training under torchrun: two CPU ranks (gloo) train with DistributedDataParallel.

The test launches this file under `torchrun --nproc_per_node 2`; each rank (the `__main__` part)
trains from its own random start and writes what it ended with. The ranks must end equal, at
the weights one process gets with each step's two shares in one batch (DDP averages the gradients),
also for a model with two optimizer groups (a GAN's players, each unused in the other's step);
only rank 0 writes the checkpoint.
"""
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from stylist_app import checkpoints
from stylist_app.train import TrainConfig, fit

DATA = dict(rows=64, seed=0)
CONFIG = dict(epochs=1, batch_size=8, lr=0.05, optimizer="sgd", device="cpu")  # SGD: linear in the gradient


@dataclass
class RegressionConfig:
    inputs: int = 8


class Regression(nn.Module):
    def __init__(self):
        super().__init__()
        self.config = RegressionConfig()
        self.linear = nn.Linear(8, 1)

    def loss(self, batch):
        return ((self.linear(batch[:, :8]).squeeze(1) - batch[:, 8]) ** 2).mean()


class TwoPlayers(nn.Module):
    """A GAN-shaped model: `d` and `g` have their own optimizers; `g` is unused in `d`'s step."""

    def __init__(self):
        super().__init__()
        self.d = nn.Linear(9, 1)
        self.g = nn.Linear(9, 9)

    def optimizer_groups(self):
        return {"d": list(self.d.parameters()), "g": list(self.g.parameters())}

    def loss(self, batch, group):
        if group == "d":
            with torch.no_grad():
                fake = self.g(torch.randn_like(batch))
            return torch.relu(1 - self.d(batch)).mean() + torch.relu(1 + self.d(fake)).mean()
        return -self.d(self.g(torch.randn_like(batch))).mean()


def data() -> torch.Tensor:
    return torch.randn(DATA["rows"], 9, generator=torch.Generator().manual_seed(DATA["seed"]))


def rank_main(out: Path) -> None:
    """One rank's work under torchrun: train both models from a rank-specific start, save what they end with."""
    rank = int(os.environ["RANK"])
    torch.manual_seed(100 + rank)  # different starting weights on each rank: DDP must sync them
    model, players = Regression(), TwoPlayers()
    start = {k: v.clone() for k, v in model.state_dict().items()}
    fit(model, data(), TrainConfig(**CONFIG))
    fit(players, data(), TrainConfig(**CONFIG))
    checkpoints.save(out / "ck", "regression", model, data="none", fingerprint="none")
    torch.save({"start": start, "end": model.state_dict(), "players": players.state_dict()}, out / f"rank{rank}.pt")
    torch.distributed.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_process_equivalent() -> dict:
    """What DDP must compute: rank 0's start, each step on both ranks' shares at once (fit's order and split)."""
    torch.manual_seed(100)
    model = Regression()
    rows = data()
    order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(0))
    shares = [order[r::2] for r in range(2)]
    opt = torch.optim.SGD(model.parameters(), lr=CONFIG["lr"], momentum=0.9)  # train._optimizer's SGD
    b = CONFIG["batch_size"]
    for start in range(0, len(shares[0]), b):
        opt.zero_grad()
        # the mean of the two ranks' mean losses: the gradient DDP's average gives
        sum(model.loss(rows[s[start:start + b]]) for s in shares).div(2).backward()
        opt.step()
    return model.state_dict()


def test_two_ranks_train_with_ddp_under_torchrun(tmp_path):
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
           __file__, str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert not torch.equal(r0["start"]["linear.weight"], r1["start"]["linear.weight"])  # they did start apart
    for k in r0["end"]:
        assert torch.allclose(r0["end"][k], r1["end"][k]), k
    assert not torch.equal(r0["end"]["linear.weight"], r0["start"]["linear.weight"])  # and they did train
    expected = one_process_equivalent()
    for k in expected:
        assert torch.allclose(r0["end"][k], expected[k], atol=1e-6), (k, r0["end"][k], expected[k])
    for k in r0["players"]:
        assert torch.allclose(r0["players"][k], r1["players"][k]), k
    assert "regression" in checkpoints.read_manifest(tmp_path / "ck")
    loaded = Regression()
    checkpoints.load(tmp_path / "ck", "regression", loaded)
    assert torch.equal(loaded.linear.weight, r0["end"]["linear.weight"])


if __name__ == "__main__":
    rank_main(Path(sys.argv[1]))
