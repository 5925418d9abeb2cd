"""Data-parallel training under torchrun: two CPU ranks (gloo) end a step with the same weights."""
import os
import socket
import subprocess
import sys

import torch
import torch.multiprocessing as mp
from torch import nn

from stylist_app.train import TrainConfig, fit


class Regression(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(8, 1)

    def loss(self, batch):
        return ((self.linear(batch[:, :8]).squeeze(1) - batch[:, 8]) ** 2).mean()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rank(rank: int, port: int, out: str):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank))
    torch.manual_seed(100 + rank)  # different starting weights on each rank: fit must sync them
    model = Regression()
    data = torch.randn(64, 9, generator=torch.Generator().manual_seed(0))
    start = model.linear.weight.detach().clone()
    fit(model, data, TrainConfig(epochs=1, batch_size=8, lr=0.1, device="cpu"))
    torch.save({"start": start, "end": model.state_dict()}, f"{out}/rank{rank}.pt")
    torch.distributed.destroy_process_group()


def test_two_ranks_agree_after_training(tmp_path):
    mp.spawn(_rank, args=(free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert not torch.equal(r0["start"], r1["start"])  # they did start apart
    for k in r0["end"]:
        assert torch.allclose(r0["end"][k], r1["end"][k]), k
    assert not torch.equal(r0["end"]["linear.weight"], r0["start"])  # and they did train


def test_stylist_train_under_torchrun(small_dir, tmp_path):
    out = tmp_path / "ckpt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()),
           "-m", "stylist_app.cli", "train", "toy", "--data", f"builtin:{small_dir}", "--out", str(out), "--epochs", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / "toy.safetensors").is_file() and (out / "manifest.json").is_file()
