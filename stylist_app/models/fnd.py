"""FND: false-negative distillation + contrastive learning for personalised outfit recommendation.

Kim, Seol, Lim & Lee 2021 (arXiv 2110.06483); `../shared/papers/PAPERS.md` section 4.

Both models score a (user, outfit) pair as s(u, o) = <e_u, z_o>: e_u is a learned user vector,
z_o = PMA_1(SAB(x_1 .. x_n)) a Set Transformer (Lee et al. 2019) over the outfit's item vectors
x_i = item_encoder(picture_i) + slot_embedding(slot_i).
- Teacher: effnet-lite0 features (the 3.4M-parameter ImageNet CNN, cached) -> 2-layer MLP ->
  head of width 64; BPR on the users' liked outfits against sampled catalog outfits.
- Student: the same head at width 32 over a tiny CNN (4 strided convolutions, 8 to 64 channels)
  trained end to end on 32 px thumbnails: about 60x fewer parameters in all. One run trains it
  six ways (`STUDENTS`): no KD, plain score KD and FND, each with and without the contrastive
  objective, every model (teacher included) once per seed.

Choices where the paper (code unreleased) is unclear:
- Plain score KD matches every score the student computes:
      L_KD = BPR + kd_weight * mean (s(u, o) - t(u, o))^2 over the batch's liked and sampled outfits.
- FND is plain score KD with the false-negative correction (so that the ablation "KD + FN
  correction" against "KD" isolates the paper's idea). A sampled negative j of a liked pair (u, i)
  is a false negative when the teacher scores it above the liked outfit, t(u, j) > t(u, i); its
  pair then gets the teacher's soft label p = sigma(t(u, i) - t(u, j)) < 1/2 in place of the hard
  label 1 (the other pairs keep BPR):
      L_FND = BCE(sigma(s(u, i) - s(u, j)), p) + kd_weight * (the score-matching term of L_KD).
  The paper says the teacher's belief corrects the loss of likely false negatives (soft labels /
  down-weighting) but not whether the teacher's knowledge reaches the student in any other way,
  which pairs are corrected, nor at what temperature. An earlier version used L_FND without the
  score term: the student then learns from the teacher only on the ~5 % of pairs the teacher ranks
  the wrong way, and it fell below plain KD (test NDCG@10 0.346 against 0.356; with the
  contrastive objective 0.344 against 0.361). Variants tried on seed 0, chosen on the validation
  likes only (AUC / NDCG@10, all with the contrastive objective; same teacher):
      soft label sigma((t_i - t_j) / T) on every pair, T = 1              0.852 / 0.277
      the same + score term, T = 0.5 / 1 / 2       0.855 / 0.286, 0.856 / 0.277, 0.856 / 0.273
      soft label on the teacher's false negatives only + score term      0.856 / 0.286  (chosen)
      references: plain KD 0.858 / 0.280; the earlier FND 0.848 / 0.283
  Without the contrastive objective: every-pair soft labels 0.847 / 0.264, with the score term
  0.841 / 0.253; plain KD 0.855 / 0.299. Soft labels on every pair blur the confident true
  negatives too (the teacher's median margin is about 5, so T matters and had no clear optimum);
  validation differences of 0.01 NDCG are within the noise of one held-out like per user. T = 0.5
  tied with the chosen loss, which needs no temperature and differs from plain KD only on the
  pairs the paper is about. The full run with it (test, 3 seeds, NDCG@10 / AUC): teacher
  0.360 / 0.855; no KD 0.304 / 0.822, + CL 0.331 / 0.834; plain KD 0.355 / 0.846, + CL
  0.360 / 0.855; FND 0.362 / 0.853, + CL 0.354 / 0.849. FND + CL is above plain KD on AUC and
  0.001 below it on NDCG@10 (spread over seeds 0.005): a tie, not yet the issue's ordering.
- Contrastive: each of two views of an outfit is one random augmentation (erase one item, or
  swap one item for a random catalog item of its slot); symmetric InfoNCE over cosine
  similarities of the views' z, temperature cl_temperature, weight cl_weight, with every liked
  and sampled outfit of the batch as an anchor. The paper's weight and temperature are not known;
  0.5 and 0.5 beat 0.1 and 0.2 on the validation likes (seed 0), as did the learning rates here.
  "Same category" is the slot: Polyvore-U, the paper's data, has one item each of top, bottom and
  shoes (plus a bag), so its categories are our slots. Also tried, a swap within the item's fine
  type (jeans for jeans): full runs, validation / test NDCG@10 of FND + CL, 3 seeds: weight 0.5
  0.269 / 0.347; weight 0.25 (best of 0.1 / 0.25 / 0.5 on validation, one thread) 0.272 / 0.345
  when rerun on two threads. Neither beat the slot swap on validation (0.275), so it stays.
- Noise: on one CPU thread a run is deterministic (a rerun reproduced the shipped teacher, no-KD,
  plain-KD and FND figures to the last digit). On two threads (another float summation order,
  hence other trajectories) the 3-seed mean test NDCG@10 moved: no KD 0.304 -> 0.321, plain KD
  0.355 -> 0.357, FND 0.362 -> 0.354, teacher 0.360 -> 0.361: as much as the gaps between plain
  KD, FND and FND + CL. So `train` runs on one CPU thread (about 30 minutes on this machine), and
  `stylist train fnd` remakes the shipped checkpoint exactly.
  Over 13 seeds (0-12, one thread, test NDCG@10 / AUC, mean +- std): teacher 0.360 / 0.852;
  no KD 0.307 / 0.822; plain KD 0.351 / 0.848; FND 0.357 / 0.852; FND + CL 0.344 / 0.848. Paired
  by seed, FND - plain KD = +0.007 +- 0.005 (standard error), FND + CL - plain KD = -0.007 +- 0.008:
  FND helps a little, the contrastive term on top of it does not, and FND + CL varies most (std
  0.022: some seeds stop early at a poor epoch). A SimCLR projection head (InfoNCE on g(z), g a
  two-layer MLP used only in training) lowered that spread: FND + CL 0.351 +- 0.015 / 0.850, vs
  plain KD +0.001 +- 0.006 (paired, 13 seeds), validation +0.005 +- 0.005 over no head: a tie,
  not adopted.
- Negatives are drawn uniformly from the catalog outfits the user has not liked in training.
- Evaluation: per user, its held-out liked outfits (tasks.user_holdouts) against
  `eval_negatives` outfits it never liked, drawn once (seed 0) so that every model ranks the
  same lists; AUC and NDCG@10 averaged over users. Every model is trained for each seed of
  `seeds`; the metrics are the mean and spread over seeds.
- Serving (the engine and `ms_per_user`): the candidates are the catalog's outfits the user has
  not liked; item vectors (image encoder + MLP) are computed once per catalog and cached; the
  candidate outfits are encoded and scored per request, since the candidate pool is not fixed
  (outfits built on the fly, new catalog outfits), and this is the part that grows with it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from stylist_app import checkpoints
from stylist_app.data.schema import SLOT_ORDER, SLOTS, DataError
from stylist_app.data.tasks import user_holdouts
from stylist_app.evaluate import auc, ndcg_at_k, oracle_for
from stylist_app.features import catalog_pixels, image_features
from stylist_app.models.encoders import make_image_encoder, to_pixels
from stylist_app.train import TrainConfig, cpu_threads, fit, pick_device, seed_everything

NAME = "fnd"
# The students one run trains: metrics-file key -> (knowledge distillation, contrastive objective).
STUDENTS = {
    "student_no_kd": ("none", False),
    "student_plain_kd": ("score", False),
    "student_fnd": ("fnd", False),
    "student_no_kd_cl": ("none", True),
    "student_plain_kd_cl": ("score", True),
    "student": ("fnd", True),  # the shipped student: FND + contrastive
}
LATENCY_USERS = 20  # users timed per model in `latency`


@dataclass
class FNDConfig:
    teacher_encoder: str = "effnet-lite0"  # a cached image encoder (features.py)
    teacher_in_dim: int = 1280  # its dimension
    teacher_hidden: int = 256
    teacher_dim: int = 64
    thumb_size: int = 32  # student: tiny CNN over thumbnails of this size
    cnn_width: int = 8
    student_dim: int = 32
    heads: int = 4
    blocks: int = 1  # SABs before the pooling
    n_users: int = 0
    kd_weight: float = 1.0
    cl_weight: float = 0.5
    cl_temperature: float = 0.5
    teacher_epochs: int = 30
    student_epochs: int = 30
    teacher_lr: float = 3e-3
    student_lr: float = 5e-3
    batch_size: int = 512
    weight_decay: float = 1e-4
    seeds: tuple[int, ...] = (0, 1, 2)
    eval_negatives: int = 100


# ---------------------------------------------------------------- data
@dataclass
class Interactions:
    """The catalog as tensors and the users' liked outfits, split for training and evaluation.

    `members`: (O, L) item rows of each catalog outfit, -1 after its last item; `slots`: (N,)
    slot index of each item. `likes[split]`: (P, 2) (user row, outfit row) pairs: "test" the
    held-out share of each user's likes (tasks.user_holdouts), "valid" the last remaining like
    of each user who has two or more, "train" the rest. `liked`: every liked outfit row per user.
    `user_row`: user id -> row; `outfits`: outfit id -> its item ids.
    """

    item_ids: list[str]
    outfit_ids: list[str]
    user_ids: list[str]
    members: torch.Tensor
    slots: torch.Tensor
    likes: dict[str, torch.Tensor]
    liked: list[set[int]]
    user_row: dict[str, int]
    outfits: dict[str, tuple[str, ...]]

    @classmethod
    def from_wardrobe(cls, wardrobe) -> Interactions:
        item_ids, outfit_ids, user_ids = list(wardrobe.items), list(wardrobe.outfits), list(wardrobe.users)
        item_row = {i: n for n, i in enumerate(item_ids)}
        outfit_row = {o: n for n, o in enumerate(outfit_ids)}
        width = max(len(o.items) for o in wardrobe.outfits.values())
        members = torch.full((len(outfit_ids), width), -1, dtype=torch.long)
        for n, o in enumerate(wardrobe.outfits.values()):
            members[n, : len(o.items)] = torch.tensor([item_row[i] for i in o.items])
        slots = torch.tensor([SLOT_ORDER[wardrobe.items[i].slot] for i in item_ids])
        user_row = {u: n for n, u in enumerate(user_ids)}
        pairs = {"train": [], "valid": [], "test": []}
        for h in user_holdouts(wardrobe):
            u, train = user_row[h.user_id], [outfit_row[o] for o in h.train_outfits]
            if len(train) >= 2:
                pairs["valid"].append((u, train.pop()))
            pairs["train"] += [(u, o) for o in train]
            pairs["test"] += [(u, outfit_row[o]) for o in h.test_outfits]
        likes = {s: torch.tensor(p, dtype=torch.long).view(-1, 2) for s, p in pairs.items()}
        liked = [{outfit_row[o] for o in wardrobe.users[u].liked_outfits} for u in user_ids]
        return cls(item_ids, outfit_ids, user_ids, members, slots, likes, liked, user_row,
                   {o: wardrobe.outfits[o].items for o in outfit_ids})

    def candidates(self, split: str, n_negatives: int, seed: int = 0) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per user with a like in `split`: (user row, those liked outfit rows, `n_negatives` rows it never liked).

        The negatives are drawn uniformly without replacement, from a generator seeded by `seed` only.
        """
        if split not in self.likes:
            raise DataError(f"fnd ranks outfits for the source's own users: split {split!r} does not apply "
                            "(use test or valid)")
        rng = np.random.default_rng(seed)
        positives: dict[int, list[int]] = {}
        for u, o in self.likes[split].tolist():
            positives.setdefault(u, []).append(o)
        out = []
        for u, pos in sorted(positives.items()):
            pool = np.setdiff1d(np.arange(len(self.outfit_ids)), sorted(self.liked[u]))
            out.append((u, np.array(pos), rng.choice(pool, min(n_negatives, len(pool)), replace=False)))
        return out


# ---------------------------------------------------------------- networks
class ThumbCNN(nn.Module):
    """The student's image encoder: four 3x3 stride-2 convolutions (width, 2x, 4x, 8x channels;
    BatchNorm, ReLU) over a thumbnail, global average pooling, a linear map to `dim`."""

    def __init__(self, dim: int, width: int):
        super().__init__()
        layers, c_in = [], 3
        for c_out in (width, 2 * width, 4 * width, 8 * width):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c_in, dim)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixels).mean((2, 3)))


def feature_mlp(in_dim: int, hidden: int, dim: int) -> nn.Sequential:
    """The teacher's item encoder over fixed CNN features: Linear, ReLU, Linear."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, dim))


class MAB(nn.Module):
    """Set Transformer's multihead attention block: H = LN(X + Att(X, Y, Y)), MAB(X, Y) = LN(H + rFF(H))."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.ReLU(), nn.Linear(2 * dim, dim))
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, y: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.ln1(x + self.attn(x, y, y, key_padding_mask=pad, need_weights=False)[0])
        return self.ln2(h + self.ff(h))


class OutfitRecommender(nn.Module):
    """s(u, o) = <e_u, z_o>, z_o = PMA_1(SAB^blocks(x_i + slot_i : i in o)), x_i = item_encoder(input_i).

    PMA_1 is one learned seed vector attending over the items (the paper's PMA applies an rFF
    to the items first; the SABs before it play that part here). The catalog's encoder inputs
    (features or thumbnails), slots and outfits are set with `set_catalog`; they are not saved.
    """

    def __init__(self, item_encoder: nn.Module, dim: int, heads: int, blocks: int, n_users: int):
        super().__init__()
        self.dim = dim
        self.item_encoder = item_encoder
        self.slot = nn.Embedding(len(SLOTS), dim)
        self.blocks = nn.ModuleList(MAB(dim, heads) for _ in range(blocks))
        self.seed = nn.Parameter(torch.randn(1, 1, dim) * dim ** -0.5)
        self.pool = MAB(dim, heads)
        self.users = nn.Embedding(n_users, dim)
        nn.init.normal_(self.users.weight, std=dim ** -0.5)
        for name in ("inputs", "slots", "members"):
            self.register_buffer(name, torch.zeros(0), persistent=False)

    def set_catalog(self, inputs: torch.Tensor, slots: torch.Tensor, members: torch.Tensor) -> None:
        device = self.seed.device
        self.inputs, self.slots, self.members = inputs.to(device), slots.to(device), members.to(device)

    def item_vectors(self, rows: torch.Tensor | None = None, batch: int = 1024) -> torch.Tensor:
        """x_i of catalog item `rows` (all items when None; in chunks of `batch` when not training)."""
        rows = torch.arange(len(self.slots), device=self.slots.device) if rows is None else rows
        if self.training:
            return self.item_encoder(self.inputs[rows]) + self.slot(self.slots[rows])
        return torch.cat([self.item_encoder(self.inputs[r]) + self.slot(self.slots[r]) for r in rows.split(batch)])

    def encode(self, members: torch.Tensor, items: torch.Tensor | None = None) -> torch.Tensor:
        """(B, dim) z_o of (B, L) outfits given as item rows (-1: no item).

        `items`: the whole catalog's x_i when cached; otherwise each distinct item is encoded once.
        """
        pad = members < 0
        if items is None:
            rows, inverse = members[~pad].unique(return_inverse=True)
            vectors = self.item_vectors(rows)[inverse]
        else:
            vectors = items[members[~pad]]
        x = vectors.new_zeros(*members.shape, self.dim)
        x[~pad] = vectors
        for block in self.blocks:
            x = block(x, x, pad)
        return self.pool(self.seed.expand(len(x), -1, -1), x, pad).squeeze(1)

    @torch.no_grad()
    def outfit_vectors(self, batch: int = 4096) -> torch.Tensor:
        """(O, dim) z_o of every catalog outfit."""
        items = self.item_vectors()
        return torch.cat([self.encode(m, items) for m in self.members.split(batch)])

    @torch.no_grad()
    def score_matrix(self) -> np.ndarray:
        """(U, O) s(u, o) of every user and catalog outfit."""
        return (self.users.weight @ self.outfit_vectors().T).float().cpu().numpy()


def make_teacher(cfg: FNDConfig) -> OutfitRecommender:
    return OutfitRecommender(feature_mlp(cfg.teacher_in_dim, cfg.teacher_hidden, cfg.teacher_dim),
                             cfg.teacher_dim, cfg.heads, cfg.blocks, cfg.n_users)


def make_student(cfg: FNDConfig) -> OutfitRecommender:
    return OutfitRecommender(ThumbCNN(cfg.student_dim, cfg.cnn_width), cfg.student_dim, cfg.heads, cfg.blocks,
                             cfg.n_users)


@dataclass
class Recommendations:
    """Outfits recommended to a shopper, best first, and what it took to rank them."""

    user: str
    model: str  # "student" or "teacher"
    outfit_ids: list[str]
    outfits: list[tuple[str, ...]]  # each outfit's item ids, in slot order
    scores: list[float]
    ms: float  # wall-clock time to encode and score the candidates (item vectors cached)
    n_candidates: int


def catalog_inputs(wardrobe, cfg: FNDConfig, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The nets' item inputs in catalog order: the teacher's cached image features, the student's thumbnails."""
    _, feats = image_features(wardrobe, cfg.teacher_encoder, device=device)
    return torch.as_tensor(feats, dtype=torch.float32), catalog_pixels(wardrobe, cfg.thumb_size)


class FND(nn.Module):
    """The shipped pair: `teacher` and `student` (the FND + contrastive one), one config, one file."""

    def __init__(self, config: FNDConfig, teacher: OutfitRecommender | None = None,
                 student: OutfitRecommender | None = None):
        super().__init__()
        self.config = config
        self.teacher = teacher if teacher is not None else make_teacher(config)
        self.student = student if student is not None else make_student(config)
        self.data: Interactions | None = None

    def set_catalog(self, wardrobe, device) -> None:
        """Give both nets the wardrobe's catalog (its users must be those the nets were trained on)."""
        self.data = Interactions.from_wardrobe(wardrobe)
        teacher_inputs, student_inputs = catalog_inputs(wardrobe, self.config, device)
        self.teacher.set_catalog(teacher_inputs, self.data.slots, self.data.members)
        self.student.set_catalog(student_inputs, self.data.slots, self.data.members)

    def net(self, which: str) -> OutfitRecommender:
        if which not in ("student", "teacher"):
            raise ValueError(f"model must be 'student' or 'teacher', not {which!r}")
        return getattr(self, which)

    def candidates(self, user_id: str) -> torch.Tensor:
        """Outfit rows a shopper is recommended from: every catalog outfit they have not liked."""
        if user_id not in self.data.user_row:
            raise DataError(f"unknown shopper {user_id!r} (e.g. {self.data.user_ids[0]!r})")
        liked = self.data.liked[self.data.user_row[user_id]]
        rows = [o for o in range(len(self.data.outfit_ids)) if o not in liked]
        return torch.tensor(rows, device=self.teacher.members.device)

    @torch.inference_mode()
    def recommend(self, user_id: str, k: int, which: str, items: torch.Tensor) -> Recommendations:
        """The k best of the shopper's candidate outfits by the student or teacher, given its cached item vectors.

        Timed: encoding the candidate outfits, scoring them against the user vector, the top k.
        """
        if k < 1:
            raise ValueError(f"k must be a positive number of outfits, got {k}")
        net, candidates = self.net(which), self.candidates(user_id)
        user = self.data.user_row[user_id]
        _sync(items.device)
        t0 = time.perf_counter()
        scores = net.encode(net.members[candidates], items) @ net.users.weight[user]
        top = scores.topk(min(k, len(scores)))
        _sync(items.device)
        ms = 1000 * (time.perf_counter() - t0)
        ids = [self.data.outfit_ids[o] for o in candidates[top.indices].tolist()]
        return Recommendations(user_id, which, ids, [self.data.outfits[o] for o in ids],
                               top.values.float().tolist(), ms, len(candidates))


def _sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that wall-clock timings are true."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


# ---------------------------------------------------------------- objectives
def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE: row k of `a` and of `b` are two views of one outfit, the other rows its negatives."""
    logits = F.normalize(a, dim=-1) @ F.normalize(b, dim=-1).T / temperature
    target = torch.arange(len(a), device=a.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


class Objective(nn.Module):
    """A recommender's training loss and validation (see the module docstring for the losses).

    `kd`: "none" (BPR), "score" (BPR + score matching) or "fnd" (score KD with the false negatives' soft labels);
    both need `teacher` = (U, d) user and (O, d) outfit vectors of a trained teacher.
    """

    def __init__(self, net: OutfitRecommender, data: Interactions, cfg: FNDConfig, kd: str = "none",
                 contrastive: bool = False, teacher: tuple[torch.Tensor, torch.Tensor] | None = None):
        super().__init__()
        if kd != "none" and teacher is None:
            raise ValueError(f"kd={kd!r} needs the teacher's vectors")
        self.net, self.cfg, self.kd, self.contrastive = net, cfg, kd, contrastive
        n_outfits = len(data.outfit_ids)
        train = data.likes["train"]
        self.register_buffer("liked_keys", (train[:, 0] * n_outfits + train[:, 1]).unique(), persistent=False)
        order = data.slots.argsort()
        counts = torch.bincount(data.slots, minlength=len(SLOTS))
        self.register_buffer("by_slot", order, persistent=False)  # item rows sorted by slot
        self.register_buffer("slot_start", counts.cumsum(0) - counts, persistent=False)
        self.register_buffer("slot_count", counts, persistent=False)
        t_users, t_outfits = teacher if teacher is not None else (torch.zeros(0), torch.zeros(0))
        self.register_buffer("t_users", t_users, persistent=False)
        self.register_buffer("t_outfits", t_outfits, persistent=False)
        self.n_outfits = n_outfits

    def negatives(self, users: torch.Tensor) -> torch.Tensor:
        """One uniformly drawn catalog outfit per user, redrawn while the user liked it in training."""
        neg = torch.randint(self.n_outfits, users.shape, device=users.device)
        while (bad := torch.isin(users * self.n_outfits + neg, self.liked_keys)).any():
            neg[bad] = torch.randint(self.n_outfits, (int(bad.sum()),), device=users.device)
        return neg

    def augment(self, members: torch.Tensor) -> torch.Tensor:
        """A view of each outfit: one random item erased, or (half the time, and always for 1-item outfits)
        swapped for a random catalog item of its slot."""
        n = (members >= 0).sum(1)
        at = (torch.rand(len(members), device=members.device) * n).long()
        rows = torch.arange(len(members), device=members.device)
        slot = self.net.slots[members[rows, at]]
        swap = self.by_slot[self.slot_start[slot]
                            + (torch.rand(len(members), device=members.device) * self.slot_count[slot]).long()]
        erase = (torch.rand(len(members), device=members.device) < 0.5) & (n > 1)
        view = members.clone()
        view[rows, at] = torch.where(erase, torch.full_like(swap, -1), swap)
        return view

    def teacher_scores(self, users: torch.Tensor, outfits: torch.Tensor) -> torch.Tensor:
        return (self.t_users[users] * self.t_outfits[outfits]).sum(-1)

    def ranking_loss(self, users, pos, neg, s_pos, s_neg) -> torch.Tensor:
        """BPR, BPR + score KD, or FND (BPR with the false negatives' soft labels + score KD) over the
        (user, liked, sampled) triples."""
        x = s_pos - s_neg
        if self.kd == "none":
            return -F.logsigmoid(x).mean()
        t_pos, t_neg = self.teacher_scores(users, pos), self.teacher_scores(users, neg)
        kd = ((s_pos - t_pos) ** 2 + (s_neg - t_neg) ** 2).mean() / 2
        if self.kd == "score":
            return -F.logsigmoid(x).mean() + self.cfg.kd_weight * kd
        # FND: score KD whose pairwise term corrects the teacher's false negatives (module docstring)
        label = torch.where(t_neg > t_pos, torch.sigmoid(t_pos - t_neg), torch.ones_like(x))
        return F.binary_cross_entropy_with_logits(x, label) + self.cfg.kd_weight * kd

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        users, pos = batch[:, 0], batch[:, 1]
        neg = self.negatives(users)
        members = self.net.members[torch.cat([pos, neg])]
        if self.contrastive:
            members = torch.cat([members, self.augment(members), self.augment(members)])
        z = self.net.encode(members)
        e, b = self.net.users(users), len(users)
        loss = self.ranking_loss(users, pos, neg, (e * z[:b]).sum(-1), (e * z[b:2 * b]).sum(-1))
        if self.contrastive:
            loss = loss + self.cfg.cl_weight * info_nce(z[2 * b:4 * b], z[4 * b:], self.cfg.cl_temperature)
        return loss

    def validate(self, candidates) -> dict:
        return ranking_metrics(self.net.score_matrix(), candidates)


def ranking_metrics(scores: np.ndarray, candidates, k: int = 10) -> dict:
    """Mean over users of the AUC of their held-out liked outfits against their negatives, and of NDCG@k
    over the combined list (binary relevance)."""
    aucs, ndcgs = [], []
    for u, pos, neg in candidates:
        s = scores[u]
        aucs.append(auc(s[pos], s[neg]))
        ndcgs.append(ndcg_at_k(np.r_[s[pos], s[neg]][None], np.r_[np.ones(len(pos)), np.zeros(len(neg))][None], k))
    return {"auc": float(np.mean(aucs)), f"ndcg@{k}": float(np.mean(ndcgs))}


def fit_recommender(net: OutfitRecommender, data: Interactions, cfg: FNDConfig, valid, *, epochs: int, lr: float,
                    seed: int, device, kd: str = "none", contrastive: bool = False, teacher=None) -> dict:
    """Train `net` in place under one objective (early stopping on validation AUC); return the best epoch's record."""
    objective = Objective(net, data, cfg, kd, contrastive, teacher)
    result = fit(objective, data.likes["train"], TrainConfig(epochs=epochs, lr=lr, batch_size=cfg.batch_size,
                                                             weight_decay=cfg.weight_decay, patience=4, seed=seed,
                                                             device=str(device)), valid_data=valid)
    net.eval()
    return result.best


# ---------------------------------------------------------------- serving cost
def params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def latency(model: FND, wardrobe, threads: int | None = None, n_users: int = LATENCY_USERS, k: int = 10) -> dict:
    """Serving cost of teacher and student, measured alternately on the same users in one run, on the
    model's device with `threads` CPU threads (torch's current number when None); means in milliseconds:

    - ms_per_user: `FND.recommend` over every catalog outfit the user has not liked, with the catalog's
      item vectors cached (image encoder and item MLP run once per catalog, not per request);
    - ms_per_user_outfits_cached: the same ranking when the catalog outfits' vectors are cached too
      (one dot product per candidate, then the top k): what a fixed catalog allows;
    - ms_per_new_item: one new picture's item vector (a batch of 32 pictures, already resized and
      normalised): effnet-lite0 at 224 px + MLP for the teacher, the tiny CNN at 32 px for the student.
    """
    with cpu_threads(threads or torch.get_num_threads()):
        return _latency(model, wardrobe, n_users, k)


@torch.inference_mode()
def _latency(model: FND, wardrobe, n_users: int, k: int) -> dict:
    device = model.teacher.seed.device
    items = {w: model.net(w).item_vectors() for w in ("teacher", "student")}
    outfits = {w: model.net(w).outfit_vectors() for w in ("teacher", "student")}
    times = {w: {"ms_per_user": [], "ms_per_user_outfits_cached": []} for w in ("teacher", "student")}
    rows = np.random.default_rng(0).choice(len(model.data.user_ids), min(n_users, len(model.data.user_ids)),
                                           replace=False)
    for user in [model.data.user_ids[u] for u in [rows[0], *rows]]:  # the first user warms up
        candidates = model.candidates(user)
        for w in ("teacher", "student"):
            times[w]["ms_per_user"].append(model.recommend(user, k, w, items[w]).ms)
            t0 = time.perf_counter()
            (outfits[w][candidates] @ model.net(w).users.weight[model.data.user_row[user]]).topk(k)
            _sync(device)
            times[w]["ms_per_user_outfits_cached"].append(1000 * (time.perf_counter() - t0))
    out = {w: {m: float(np.mean(v[1:])) for m, v in t.items()} for w, t in times.items()}
    pictures = [item.load_image() for item in list(wardrobe.items.values())[:32]]
    effnet = make_image_encoder(model.config.teacher_encoder).to(device).eval()
    encode = {"teacher": (lambda x: model.teacher.item_encoder(effnet(x)), effnet.preprocess(pictures)),
              "student": (model.student.item_encoder, to_pixels(pictures, model.config.thumb_size))}
    for w, (f, pixels) in encode.items():
        pixels = pixels.to(device)
        f(pixels[:2])  # warm-up
        _sync(device)
        t0 = time.perf_counter()
        f(pixels)
        _sync(device)
        out[w]["ms_per_new_item"] = 1000 * (time.perf_counter() - t0) / len(pixels)
    return out


# ---------------------------------------------------------------- train / load / evaluate
def _summary(runs: list[dict]) -> dict:
    """Mean and standard deviation over seeds of each metric, with the per-seed values."""
    out = {}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key], out[f"{key}_std"] = float(np.mean(values)), float(np.std(values))
    out["per_seed"] = runs
    return out


def train(wardrobe, out_dir, *, epochs=None, device="auto", config: FNDConfig | None = None) -> dict:
    """For each seed: the teacher, then the six students (`STUDENTS`) distilled from it; save seed 0's teacher
    and FND + contrastive student. The manifest entry's metrics hold every model's valid and test metrics per seed.
    """
    t0 = time.time()
    device = pick_device(device)
    cfg = config or FNDConfig()
    data = Interactions.from_wardrobe(wardrobe)
    if not len(data.likes["valid"]):
        raise DataError(f"{wardrobe.spec}: fnd needs users with at least three liked outfits")
    cfg.n_users = len(data.user_ids)
    teacher_inputs, student_inputs = catalog_inputs(wardrobe, cfg, device)
    valid, test = data.candidates("valid", cfg.eval_negatives), data.candidates("test", cfg.eval_negatives)
    runs = {key: {"valid": [], "test": []} for key in ("teacher", *STUDENTS)}

    def trained(key, make, inputs, seed, **objective) -> OutfitRecommender:
        seed_everything(seed)
        net = make(cfg)
        net.set_catalog(inputs, data.slots, data.members)
        student = key != "teacher"
        best = fit_recommender(net, data, cfg, valid, seed=seed, device=device, **objective,
                               epochs=epochs or (cfg.student_epochs if student else cfg.teacher_epochs),
                               lr=cfg.student_lr if student else cfg.teacher_lr)
        runs[key]["valid"].append({m: best[m] for m in ("auc", "ndcg@10")})
        runs[key]["test"].append(ranking_metrics(net.score_matrix(), test))
        shown = "  ".join(f"{m}={v:.4f}" for m, v in runs[key]["test"][-1].items())
        tqdm.write(f"fnd seed {seed} {key}: test {shown}")
        return net

    with cpu_threads(1 if device.type == "cpu" else torch.get_num_threads()):  # one thread: deterministic
        for seed in cfg.seeds:
            teacher = trained("teacher", make_teacher, teacher_inputs, seed)
            vectors = (teacher.users.weight.detach(), teacher.outfit_vectors())
            for key, (kd, contrastive) in STUDENTS.items():
                student = trained(key, make_student, student_inputs, seed, kd=kd, contrastive=contrastive,
                                  teacher=vectors)
                if seed == cfg.seeds[0] and key == "student":
                    shipped = FND(cfg, teacher, student)
    metrics = {split: {key: _summary(r[split]) for key, r in runs.items()} for split in ("valid", "test")}
    metrics["train_seconds"] = round(time.time() - t0, 1)
    return checkpoints.save(out_dir, NAME, shipped, data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            encoders={"image": cfg.teacher_encoder, "student_image": f"thumb-cnn-{cfg.thumb_size}px"},
                            metrics=metrics)


def load(checkpoint_dir, wardrobe, device="cpu") -> FND:
    """The shipped teacher and student, with their catalog inputs, on `device`, in eval mode.

    User vectors belong to the wardrobe they were trained on: another wardrobe is a CheckpointError.
    """
    model = FND(FNDConfig(**checkpoints.entry_for(checkpoint_dir, NAME, wardrobe)["config"]))
    checkpoints.load(checkpoint_dir, NAME, model)
    device = pick_device(str(device))
    model.to(device).eval()
    model.set_catalog(wardrobe, device)
    return model


def oracle_metrics(wardrobe, data: Interactions, candidates) -> dict | None:
    """The oracle's ranking (builtin only): a user's hidden item utility averaged over the outfit's items
    (the hidden outfit-style prior of the users' likes is not part of the oracle's interface)."""
    oracle = oracle_for(wardrobe)
    if oracle is None:
        return None
    members = data.members.numpy()
    mask = members >= 0
    scores = np.zeros((len(data.user_ids), len(data.outfit_ids)))
    for u, _, _ in candidates:
        util = oracle.user_item_scores(data.user_ids[u], data.item_ids)
        scores[u] = (util[members] * mask).sum(1) / mask.sum(1)
    return ranking_metrics(scores, candidates)


def evaluate(wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """The metrics file: every model's `split` metrics over the training run's seeds (recorded in the manifest
    when it was trained), the shipped teacher and student measured again here, their parameters (the teacher's
    counting its image CNN), and their serving cost measured here in one run (`latency`: on the CPU with one
    thread per request, as a server that gives each request a core; with all of torch's threads; and on
    the device when it is a GPU)."""
    device = pick_device(device)
    model = load(checkpoint_dir, wardrobe, device)
    cfg, data = model.config, model.data
    candidates = data.candidates(split, cfg.eval_negatives)
    recorded = checkpoints.entry(checkpoint_dir, NAME)["metrics"][split]
    size = {"teacher": params(model.teacher) + params(make_image_encoder(cfg.teacher_encoder)),
            "student": params(model.student)}
    threads = torch.get_num_threads()
    speed = {"cpu": latency(model.to("cpu"), wardrobe, threads=1)}
    if threads > 1:
        speed[f"cpu_{threads}_threads"] = latency(model, wardrobe, threads=threads)
    if device.type == "cuda":
        speed["cuda"] = latency(model.to(device), wardrobe)
    out = {}
    for key in ("teacher", *STUDENTS):
        kind = "teacher" if key == "teacher" else "student"
        out[key] = {**recorded[key], "params": size[kind]}
        for dev, cost in speed.items():
            out[key].update({m if dev == "cpu" else f"{m}_{dev}": v for m, v in cost[kind].items()})
    teacher, student = out["teacher"], out["student"]
    summary = {"compression": size["teacher"] / size["student"],
               "speedup_per_user": teacher["ms_per_user"] / student["ms_per_user"],
               **{f"speedup_per_user_{dev}": cost["teacher"]["ms_per_user"] / cost["student"]["ms_per_user"]
                  for dev, cost in speed.items() if dev != "cpu"},
               "ndcg_kept": student["ndcg@10"] / teacher["ndcg@10"]}
    out["summary"] = {**summary, "targets": {
        "compression >= 4": summary["compression"] >= 4, "speedup_per_user >= 2": summary["speedup_per_user"] >= 2,
        "ndcg_kept >= 0.95": summary["ndcg_kept"] >= 0.95,
        **{f"fnd_cl >= plain_kd >= no_kd ({m})": student[m] >= out["student_plain_kd"][m] >= out["student_no_kd"][m]
           for m in ("auc", "ndcg@10")}}}
    popularity = np.bincount(data.likes["train"][:, 1].numpy(), minlength=len(data.outfit_ids)).astype(float)
    oracle = oracle_metrics(wardrobe, data, candidates)
    out.update({
        "shipped": {w: ranking_metrics(model.net(w).score_matrix(), candidates) for w in ("teacher", "student")},
        "latency": {"candidates": "every catalog outfit the user has not liked",
                    "cached": "item vectors (image encoder + item MLP, once per catalog); outfits are encoded per "
                              "request (ms_per_user_outfits_cached: outfit vectors cached too)",
                    "threads": f"one CPU thread per request for ms_per_*; *_cpu_{threads}_threads: torch's "
                               f"{threads} threads", "users": LATENCY_USERS},
        **({"oracle": oracle} if oracle else {}),
        "baselines": {"popularity": ranking_metrics(np.broadcast_to(popularity, (len(data.user_ids), len(popularity))),
                                                    candidates)},
        "n_users": len(candidates), "n_negatives": cfg.eval_negatives, "seeds": list(cfg.seeds),
    })
    return out
