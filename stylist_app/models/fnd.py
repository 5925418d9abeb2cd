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
- Evaluation (`stylist_app/evaluate/fnd.py`, protocol `tasks.held_out_likes`): per user, its held-out
  liked outfits against `eval_negatives` outfits it never liked, drawn once (seed 0) so that every
  model ranks the same lists; AUC and NDCG@10 averaged over users. Training early-stops on, and
  records, the validation likes only; it saves every net of every seed (`Bundle.runs`), and the test
  figures are computed from those saved nets: mean and sample spread over `seeds`.
- Precision: only the item encoders run under the caller's autocast (bf16 on CUDA); from the item
  vectors on (set transformer, scores, losses) everything runs in float32 (`float32`).
- Serving (the engine and `ms_per_user`): the candidates are the catalog's outfits the user has
  not liked; item vectors (image encoder + MLP) are computed once per catalog and cached; the
  candidate outfits are encoded and scored per request, since the candidate pool is not fixed
  (outfits built on the fly, new catalog outfits), and this is the part that grows with it.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from stylist_app import checkpoints
from stylist_app.data.schema import SLOT_ORDER, SLOTS, DataError
from stylist_app.errors import BadInput
from stylist_app.data.tasks import LikesRanking, held_out_likes, like_splits
from stylist_app.evaluate import likes_ranking_metrics, mean_and_spread
from stylist_app.features import catalog_pixels, image_features, trained_vectors
from stylist_app.models.encoders import make_image_encoder
from stylist_app.train import TrainConfig, cpu_threads, fit, pick_device, seed_everything

NAME = "fnd"
ENCODE_BATCH = 2048  # candidate outfits encoded at once when serving (bounds the attention's activations)
# The students one run trains: name in the bundle and the metrics -> (knowledge distillation, contrastive objective).
STUDENTS = {
    "student_no_kd": ("none", False),
    "student_plain_kd": ("score", False),
    "student_fnd": ("fnd", False),
    "student_no_kd_cl": ("none", True),
    "student_plain_kd_cl": ("score", True),
    "student": ("fnd", True),  # the served student: FND + contrastive
}
MODELS = ("teacher", *STUDENTS)  # every net one seed trains


@dataclass
class Config:
    teacher_encoder: str = "effnet-lite0"  # a cached image encoder (features.py)
    teacher_in_dim: int = 1280  # its dimension
    teacher_hidden: int = 256
    teacher_dim: int = 64
    thumb_size: int = 32  # student: tiny CNN over thumbnails of this size
    cnn_width: int = 8
    student_dim: int = 32
    heads: int = 4
    blocks: int = 1  # SABs before the pooling
    n_users: int = 0  # set by `train` from the wardrobe
    kd_weight: float = 1.0
    cl_weight: float = 0.5
    cl_temperature: float = 0.5
    # World v2 records about 59 liked outfits per shopper (v1: 8-20), so 8 epochs take about as many
    # gradient steps as v1's 30; early stopping on validation picks the epoch.
    teacher_epochs: int = 8
    student_epochs: int = 8
    teacher_lr: float = 3e-3
    student_lr: float = 5e-3
    batch_size: int = 512
    weight_decay: float = 1e-4
    patience: int = 4  # epochs without a better validation AUC before a net stops early
    cpu_threads: int = 1  # torch threads when training on the CPU: one makes a run deterministic
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])  # each trains a teacher and these students:
    students: list[str] = field(default_factory=lambda: list(STUDENTS))  # keys of STUDENTS; "student" is served
    eval_negatives: int = 100  # never-liked outfits each user's held-out likes are ranked among


# ---------------------------------------------------------------- data
@dataclass
class Interactions:
    """The catalog as tensors and the users' liked outfits as rows.

    `members`: (O, L) item rows of each catalog outfit, -1 after its last item; `slots`: (N,)
    slot index of each item. `likes[split]`: (P, 2) (user row, outfit row) pairs of
    `tasks.like_splits` ("train", "valid", "test"). `liked`: every liked outfit row per user.
    `user_row` / `outfit_row`: id -> row; `outfits`: outfit id -> its item ids.
    """

    item_ids: list[str]
    outfit_ids: list[str]
    user_ids: list[str]
    members: torch.Tensor
    slots: torch.Tensor
    likes: dict[str, torch.Tensor]
    liked: list[set[int]]
    user_row: dict[str, int]
    outfit_row: dict[str, int]
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
        likes = {split: torch.tensor([(user_row[u], outfit_row[o]) for u, o in pairs], dtype=torch.long).view(-1, 2)
                 for split, pairs in like_splits(wardrobe).items()}
        liked = [{outfit_row[o] for o in wardrobe.users[u].liked_outfits} for u in user_ids]
        return cls(item_ids, outfit_ids, user_ids, members, slots, likes, liked, user_row, outfit_row,
                   {o: wardrobe.outfits[o].items for o in outfit_ids})

    def rows(self, tasks: list[LikesRanking]) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Held-out likes questions as (user row, liked outfit rows, negative outfit rows)."""
        return [(self.user_row[t.user_id], np.array([self.outfit_row[o] for o in t.liked]),
                 np.array([self.outfit_row[o] for o in t.negatives])) for t in tasks]


# ---------------------------------------------------------------- networks
def float32(device: torch.device):
    """A block without autocast: after the item encoders, everything (set transformer, scores, losses) runs in
    float32, whatever precision the caller's autocast gives the encoders."""
    return torch.autocast(device.type, enabled=False)


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

    def set_catalog(self, inputs: torch.Tensor, slots: torch.Tensor, members: torch.Tensor,
                    load_inputs: Callable[[], None] | None = None) -> None:
        """The catalog's item inputs, slots and outfits; with `load_inputs` and no inputs, the inputs are read by
        calling it the first time an item vector is computed."""
        device = self.seed.device
        self.inputs, self.slots, self.members = inputs.to(device), slots.to(device), members.to(device)
        self.load_inputs = load_inputs

    def item_vectors(self, rows: torch.Tensor | None = None, batch: int = 1024) -> torch.Tensor:
        """x_i of catalog item `rows` (all items when None; in chunks of `batch` when not training), in float32."""
        if not len(self.inputs) and self.load_inputs is not None:
            self.load_inputs()
        rows = torch.arange(len(self.slots), device=self.slots.device) if rows is None else rows
        if self.training:
            return self.item_encoder(self.inputs[rows]).float() + self.slot(self.slots[rows])
        return torch.cat([self.item_encoder(self.inputs[r]).float() + self.slot(self.slots[r])
                          for r in rows.split(batch)])

    def encode(self, members: torch.Tensor, items: torch.Tensor | None = None) -> torch.Tensor:
        """(B, dim) z_o of (B, L) outfits given as item rows (-1: no item), in float32.

        `items`: the whole catalog's x_i when cached; otherwise each distinct item is encoded once.
        """
        pad = members < 0
        if items is None:
            rows, inverse = members[~pad].unique(return_inverse=True)
            vectors = self.item_vectors(rows)[inverse]
        else:
            vectors = items[members[~pad]]
        with float32(members.device):
            x = vectors.new_zeros(*members.shape, self.dim, dtype=torch.float32)
            x[~pad] = vectors.float()
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
        outfits = self.outfit_vectors()
        with float32(outfits.device):
            return (self.users.weight.float() @ outfits.T).cpu().numpy()


def make_teacher(cfg: Config) -> OutfitRecommender:
    return OutfitRecommender(feature_mlp(cfg.teacher_in_dim, cfg.teacher_hidden, cfg.teacher_dim),
                             cfg.teacher_dim, cfg.heads, cfg.blocks, cfg.n_users)


def make_student(cfg: Config) -> OutfitRecommender:
    return OutfitRecommender(ThumbCNN(cfg.student_dim, cfg.cnn_width), cfg.student_dim, cfg.heads, cfg.blocks,
                             cfg.n_users)


def count_params(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


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
    params: int  # the model's parameters as served (the teacher's include its image CNN)


def catalog_inputs(wardrobe, cfg: Config, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The nets' item inputs in catalog order: the teacher's cached image features, the student's thumbnails."""
    _, feats = image_features(wardrobe, cfg.teacher_encoder, device=device)
    return torch.as_tensor(feats, dtype=torch.float32), catalog_pixels(wardrobe, cfg.thumb_size)


class Bundle(nn.Module):
    """Every net of a training run, one config, one file: per seed (`runs["0"]`), the teacher and the six
    students (`MODELS`; `config.students` may name fewer). Served: the first seed's `teacher` and its FND + contrastive `student`."""

    def __init__(self, config: Config, runs: dict[int, dict[str, OutfitRecommender]] | None = None):
        super().__init__()
        self.config = config
        if runs is None:
            runs = {seed: {key: make_teacher(config) if key == "teacher" else make_student(config)
                           for key in ("teacher", *config.students)} for seed in config.seeds}
        self.runs = nn.ModuleDict({str(seed): nn.ModuleDict(runs[seed]) for seed in config.seeds})
        self.data: Interactions | None = None
        self.wardrobe = None
        self.weights_hash: str | None = None  # the checkpoint file's hash, when loaded from one

    def run(self, seed: int, key: str) -> OutfitRecommender:
        """The net `key` ("teacher" or a key of STUDENTS) trained with `seed`."""
        return self.runs[str(seed)][key]

    @property
    def teacher(self) -> OutfitRecommender:
        return self.run(self.config.seeds[0], "teacher")

    @property
    def student(self) -> OutfitRecommender:
        return self.run(self.config.seeds[0], "student")

    def net(self, which: str) -> OutfitRecommender:
        """The served "teacher" or "student"."""
        if which not in ("student", "teacher"):
            raise ValueError(f"which must be 'student' or 'teacher', not {which!r}")
        return self.teacher if which == "teacher" else self.student

    def set_catalog(self, wardrobe, device) -> None:
        """Give every net the wardrobe's catalog (its users must be those the nets were trained on): its slots and
        outfits; the item inputs (image features, thumbnails) are read the first time any net computes an item
        vector (`load_inputs`)."""
        self.data, self.wardrobe = Interactions.from_wardrobe(wardrobe), wardrobe
        slots, members = self.data.slots.to(device), self.data.members.to(device)
        for run in self.runs.values():
            for net in run.values():
                net.set_catalog(torch.zeros(0, device=device), slots, members, self.load_inputs)

    def load_inputs(self) -> None:
        """Every net's item inputs: the teacher's cached image features, the students' thumbnails."""
        device = self.teacher.seed.device
        inputs = [x.to(device) for x in catalog_inputs(self.wardrobe, self.config, device)]
        for run in self.runs.values():
            for key, net in run.items():
                net.set_catalog(inputs[0] if key == "teacher" else inputs[1], net.slots, net.members)

    def item_vectors(self, which: str) -> torch.Tensor:
        """x_i of every catalog item under the served "teacher" or "student", float32: from the feature cache or the
        shipped catalog files when the weights came from a checkpoint (keyed by its hash), else computed."""
        net = self.net(which)

        def compute():
            with torch.inference_mode():
                return net.item_vectors().cpu().numpy()

        vectors = trained_vectors(self.wardrobe, NAME, self.weights_hash, [which], compute, net.seed.device)
        return torch.as_tensor(vectors, dtype=torch.float32, device=net.seed.device)

    @functools.cached_property
    def teacher_encoder_params(self) -> int:
        """Parameters of the pre-trained image CNN the teacher's item features come from (built once to count)."""
        return count_params(make_image_encoder(self.config.teacher_encoder))

    def params(self, which: str) -> int:
        """Parameters of the served teacher or student; the teacher's include its image CNN."""
        return count_params(self.net(which)) + (self.teacher_encoder_params if which == "teacher" else 0)

    def candidates(self, user_id: str) -> torch.Tensor:
        """Outfit rows a shopper is recommended from: every catalog outfit they have not liked."""
        liked = self.data.liked[self.data.user_row[user_id]]
        rows = [o for o in range(len(self.data.outfit_ids)) if o not in liked]
        return torch.tensor(rows, device=self.teacher.members.device)

    @torch.inference_mode()
    def recommend(self, user_id: str, k: int, which: str, items: torch.Tensor) -> Recommendations:
        """The k best of the shopper's candidate outfits by the student or teacher, given its cached item vectors.

        Timed: encoding the candidate outfits, scoring them against the user vector, the top k.
        """
        net, candidates = self.net(which), self.candidates(user_id)
        user = self.data.user_row[user_id]
        synchronize(items.device)
        t0 = time.perf_counter()
        outfits = torch.cat([net.encode(m, items) for m in net.members[candidates].split(ENCODE_BATCH)])
        with float32(outfits.device):
            top = (outfits @ net.users.weight[user].float()).topk(min(k, len(candidates)))
        synchronize(items.device)
        ms = 1000 * (time.perf_counter() - t0)
        ids = [self.data.outfit_ids[o] for o in candidates[top.indices].tolist()]
        return Recommendations(user_id, which, ids, [self.data.outfits[o] for o in ids], top.values.tolist(), ms,
                               len(candidates), self.params(which))


def synchronize(device: torch.device) -> None:
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

    def __init__(self, net: OutfitRecommender, data: Interactions, cfg: Config, kd: str = "none",
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
        z, b = self.net.encode(members), len(users)
        with float32(z.device):
            e = self.net.users(users)
            loss = self.ranking_loss(users, pos, neg, (e * z[:b]).sum(-1), (e * z[b:2 * b]).sum(-1))
            if self.contrastive:
                loss = loss + self.cfg.cl_weight * info_nce(z[2 * b:4 * b], z[4 * b:], self.cfg.cl_temperature)
        return loss

    def validate(self, candidates) -> dict:
        return likes_ranking_metrics(self.net.score_matrix(), candidates)


def fit_recommender(net: OutfitRecommender, data: Interactions, cfg: Config, valid, *, epochs: int, lr: float,
                    seed: int, device, kd: str = "none", contrastive: bool = False, teacher=None) -> dict:
    """Train `net` in place under one objective (early stopping on validation AUC); return the best epoch's record."""
    objective = Objective(net, data, cfg, kd, contrastive, teacher)
    result = fit(objective, data.likes["train"], TrainConfig(epochs=epochs, lr=lr, batch_size=cfg.batch_size,
                                                             weight_decay=cfg.weight_decay, patience=cfg.patience,
                                                             seed=seed, device=str(device)), valid_data=valid)
    net.eval()
    return result.best


# ---------------------------------------------------------------- train / load
def train(wardrobe, out_dir, *, config: Config | None = None, epochs: int | None = None, device="auto") -> dict:
    """For each seed: the teacher, then the six students (`STUDENTS`) distilled from it, each early-stopped on
    the validation likes; save every net (`Bundle`). The manifest entry's metrics are each model's validation
    metrics, mean and spread over seeds; the test figures are `stylist eval fnd`'s (evaluate/fnd.py)."""
    t0 = time.time()
    device = pick_device(device)
    data = Interactions.from_wardrobe(wardrobe)
    if not len(data.likes["valid"]):
        raise DataError(f"{wardrobe.spec}: fnd needs users with at least three liked outfits")
    cfg = replace(config or Config(), n_users=len(data.user_ids))
    if "student" not in cfg.students or not set(cfg.students) <= set(STUDENTS):
        raise BadInput(f"fnd students must be keys of {', '.join(STUDENTS)} and include the served 'student', "
                       f"got {cfg.students}")
    teacher_inputs, student_inputs = catalog_inputs(wardrobe, cfg, device)
    valid = data.rows(held_out_likes(wardrobe, "valid", cfg.eval_negatives))
    runs = {seed: {} for seed in cfg.seeds}
    metrics = {key: [] for key in ("teacher", *cfg.students)}

    def trained(seed: int, key: str, **objective) -> OutfitRecommender:
        seed_everything(seed)
        student = key != "teacher"
        net = make_student(cfg) if student else make_teacher(cfg)
        net.set_catalog(student_inputs if student else teacher_inputs, data.slots, data.members)
        best = fit_recommender(net, data, cfg, valid, seed=seed, device=device, **objective,
                               epochs=epochs or (cfg.student_epochs if student else cfg.teacher_epochs),
                               lr=cfg.student_lr if student else cfg.teacher_lr)
        metrics[key].append({m: best[m] for m in ("auc", "ndcg@10")})
        tqdm.write(f"fnd seed {seed} {key}: valid " + "  ".join(f"{m}={v:.4f}" for m, v in metrics[key][-1].items()))
        runs[seed][key] = net
        return net

    with cpu_threads(cfg.cpu_threads if device.type == "cpu" else torch.get_num_threads()):
        for seed in cfg.seeds:
            teacher = trained(seed, "teacher")
            vectors = (teacher.users.weight.detach(), teacher.outfit_vectors())
            for key in cfg.students:
                kd, contrastive = STUDENTS[key]
                trained(seed, key, kd=kd, contrastive=contrastive, teacher=vectors)
    record = {"valid": {key: mean_and_spread(m) for key, m in metrics.items()},
              "train_seconds": round(time.time() - t0, 1)}
    # saved in float16 (loaded back into float32 nets): 5 seeds x 7 nets stay under the 10 MB a file may have on a
    # Hugging Face Space without Git LFS; `stylist eval fnd` measures these saved weights
    return checkpoints.save(out_dir, NAME, Bundle(cfg, runs).half(), data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            encoders={"image": cfg.teacher_encoder, "student_image": f"thumb-cnn-{cfg.thumb_size}px"},
                            metrics=record)


def load(checkpoint_dir, wardrobe, device="cpu") -> Bundle:
    """Every saved net on `device`, in eval mode, with the catalog's outfits; the item inputs are read the first
    time an item vector must be computed.

    User vectors belong to the wardrobe they were trained on: another wardrobe is a CheckpointError.
    """
    bundle = Bundle(Config(**checkpoints.entry_for(checkpoint_dir, NAME, wardrobe)["config"]))
    checkpoints.load(checkpoint_dir, NAME, bundle)
    device = pick_device(str(device))
    bundle.to(device).eval()
    bundle.set_catalog(wardrobe, device)
    bundle.weights_hash = checkpoints.file_hash(checkpoint_dir, NAME)
    return bundle
