"""AKD-DBPR (Song et al., SIGIR 2018): complete-the-look ranking with attentive rule distillation.

Student p (DBPR): each item has a visual feature x^v (effnet-lite0, 1280-d) and a contextual one
x^c (MiniLM over `Item.text`, 384-d), standardised with the catalog's statistics. Each passes
through its own one-layer sigmoid path, separately for tops and bottoms (the released code:
v_t = sigma(W1 x^v_t + b1), v_b = sigma(W2 x^v_b + b2), and likewise for text), and the
compatibility of top t and bottom b is the inner product of the concatenated latents

    m(t, b) = <[v_t; c_t], [v_b; c_b]> = v_t . v_b + c_t . c_b,

trained with BPR on triplets (t, worn bottom j, random bottom k): -ln sigma(m_tj - m_tk).
Because m is an inner product, `Bundle.complete` retrieves candidates with a faiss index over the
bottoms' latents and rescores them exactly. Latents are cast to float32 before every product, so
scores stay float32 when the encoders around them run under autocast.

Teacher q: the student projected onto the rules (posterior regularisation, Hu et al. 2016):

    q(y | x) proportional to p(y | x) exp(-C sum_l lambda_l (1 - r_l(x, y))),   C = 3.

For a triplet, y = 1 says "j goes better with t than k". A positive rule firing on (t, j) and
not on (t, k) has r_l(y=1) = 1, r_l(y=0) = 0 (the released code's [1, 1, 0] indicator), a
negative one the reverse. The log-odds of q are then those of p plus C * (sum of polarity *
lambda over the rules firing on (t, j)) minus the same sum over (t, k). Here the rules enter as
a pair potential, so the teacher also scores a single pair (for ranking and `explain`):

    s_q(t, b) = m(t, b) + C sum_{l fired on (t, b)} polarity_l lambda_l(t, b),
    q(y=1 | t, j, k) = sigma(s_q(t, j) - s_q(t, k)).

Where a rule fires on both bottoms the released code drops it; here both pairs carry it with
their own confidences (equal confidences cancel, as in the code).

Attention: lambda_l(t, b) is a per-pair confidence, a_l = w . relu(W [u_t; u_b; u_t * u_b] + e_l)
+ w_0 from the pair's latents u = [v; c] (the student's, not trained by this term) and the rule's
identity e_l, normalised by a softmax over the rules that fire on the pair and one "null" rule
that always fires and constrains nothing (r = 1 for both labels). The null rule is this
implementation's choice: with a softmax over the fired rules only, a lone rule would always get
confidence 1 however wrong it is for the pair. The attention is trained by the teacher's own fit
to the observed preference, -ln q(y=1 | x), with the student held fixed inside q (the paper does
not say how its gradients reach the attention; the student distils from q as a fixed target).

Student objective: (1 - pi) BPR + pi CE(q, p), with pi(t) = min(pi_max, 1 - 0.95^t) after t
epochs (the released code's schedule, Hu et al. 2016). Both p and q can be used at test time;
the metrics report q (`Config.test_score`), and the student's figures beside it.

Baselines, trained in the same run on the same triplets and seeds (all saved together in
`akd.safetensors`, one `Bundle`; the engine serves AKD-DBPR of the first seed):
- `bpr`: the visual path only, BPR (no text, no rules);
- `dbpr`: the student alone (no rules);
- `akd_constant_lambda`: AKD-DBPR with the attention replaced by equal confidences (the same
  softmax over fired rules + null with every logit 0, so lambda = 1 / (1 + n fired));
- `rules_only` (in `stylist_app.evaluate.akd`): s(t, b) = sum of the polarities of the rules firing on (t, b).

Choices forced by the budget (a CPU, a 5 MB checkpoint with 4 models x 3 seeds): latents of 32
(the code: 1024; on the builtin validation split 32 beat 16 and 64), AdamW instead of SGD with
momentum, 3 triplets per worn pair (the code's K = 3, here `tasks.top_bottom_triplets` seeds 0-2),
early stopping on validation AUC; weights are stored in float16 and loaded back into float32.
On the CPU the models train on one thread: for matrices this small, more threads only contend.
"""
from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from stylist_app import checkpoints
from stylist_app.data.schema import Wardrobe
from stylist_app.data.tasks import top_bottom_triplets
from stylist_app.errors import BadInput
from stylist_app.evaluate import pairwise_auc
from stylist_app.features import image_features, text_features
from stylist_app.index import ItemIndex, unit
from stylist_app.models.rules import RuleMatcher, rule_from_dict, rule_to_dict, rules_for
from stylist_app.train import TrainConfig, cpu_threads, fit, pick_device

NAME = "akd"
VARIANTS = ("akd", "akd_constant_lambda", "dbpr", "bpr")
RULE_MODES = {"akd": "attention", "akd_constant_lambda": "constant"}


@dataclass
class Config:
    image_encoder: str = "effnet-lite0"
    text_encoder: str = "minilm"
    image_dim: int = 1280
    text_dim: int = 384
    hidden: int = 32  # latent size of each path (released code: 1024)
    att_hidden: int = 32  # attention network width
    visual_dropout: float = 0.0  # dropout on each path's input (released code: 0.0 visual, 0.4 text)
    text_dropout: float = 0.4
    C: float = 3.0  # strength of the rule projection
    pi_decay: float = 0.95  # pi(t) = min(pi_max, 1 - pi_decay ** epochs)
    pi_max: float = 0.95
    test_score: str = "teacher"  # teacher (q) | student (p): the score the metrics and the engine rank by
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    negatives: int = 3  # triplets per worn top-bottom pair
    epochs: int = 20
    lr: float = 5e-4
    batch_size: int = 128
    weight_decay: float = 1e-4
    patience: int = 5
    rules: list[dict] = field(default_factory=list)  # the rule table the models were trained with


def _path(in_dim: int, out_dim: int, dropout: float) -> nn.Sequential:
    """One sigmoid layer on the dropped-out input, as in the released code: sigma(W dropout(x) + b)."""
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(in_dim, out_dim), nn.Sigmoid())


class RuleAttention(nn.Module):
    """Rule logits a_l(t, b) = w . relu(W [u_t; u_b; u_t * u_b] + e_l) + w_0 for every rule l and the null rule."""

    def __init__(self, latent_dim: int, hidden: int, n_rules: int):
        super().__init__()
        self.pair = nn.Linear(3 * latent_dim, hidden)
        self.rule = nn.Embedding(n_rules + 1, hidden)  # the last row is the null rule
        self.out = nn.Linear(hidden, 1)

    def forward(self, u_top: torch.Tensor, u_bottom: torch.Tensor) -> torch.Tensor:
        """(B, n_rules + 1) logits, the null rule last."""
        h = self.pair(torch.cat([u_top, u_bottom, u_top * u_bottom], -1))
        return self.out(F.relu(h[:, None, :] + self.rule.weight[None])).squeeze(-1)


class DBPR(nn.Module):
    """One variant (VARIANTS): the dual-path student, and the rule teacher when the variant has rules.

    Batches are (B, 3) catalog rows of (top, worn bottom, random bottom); the catalog's standardised
    features and rule tables are buffers set by `Bundle.set_catalog`.
    """

    def __init__(self, config: Config, variant: str):
        super().__init__()
        self.config = config
        self.uses_text = variant != "bpr"
        self.rule_mode = RULE_MODES.get(variant)
        self.top_visual = _path(config.image_dim, config.hidden, config.visual_dropout)
        self.bottom_visual = _path(config.image_dim, config.hidden, config.visual_dropout)
        if self.uses_text:
            self.top_text = _path(config.text_dim, config.hidden, config.text_dropout)
            self.bottom_text = _path(config.text_dim, config.hidden, config.text_dropout)
        if self.rule_mode == "attention":
            self.attention = RuleAttention(self.latent_dim, config.att_hidden, len(config.rules))
        for name in ("image", "text", "top_rules", "bottom_rules", "polarity"):
            self.register_buffer(name, torch.zeros(0), persistent=False)
        self.steps, self.steps_per_epoch = 0, 1  # for the pi schedule

    @property
    def latent_dim(self) -> int:
        return self.config.hidden * (2 if self.uses_text else 1)

    def latent(self, side: str, image: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """u = [v; c] of tops (side "top") or bottoms ("bottom") from standardised features, in float32
        (every score is a product of latents)."""
        v = (self.top_visual if side == "top" else self.bottom_visual)(image).float()
        if not self.uses_text:
            return v
        return torch.cat([v, (self.top_text if side == "top" else self.bottom_text)(text).float()], -1)

    def rows_latent(self, side: str, rows: torch.Tensor) -> torch.Tensor:
        return self.latent(side, self.image[rows], self.text[rows])

    def confidences(self, u_top: torch.Tensor, u_bottom: torch.Tensor, fired: torch.Tensor) -> torch.Tensor:
        """lambda (B, n_rules): softmax over the fired rules and the null rule (0 where a rule does not fire)."""
        if self.rule_mode == "attention":
            logits = self.attention(u_top.detach(), u_bottom.detach()).float()
        else:
            logits = u_top.new_zeros(len(u_top), fired.shape[1] + 1)
        live = torch.cat([fired, fired.new_ones(len(fired), 1)], 1)
        return torch.softmax(logits.masked_fill(~live, float("-inf")), -1)[:, :-1]

    def rule_bonus(self, u_top, u_bottom, fired) -> tuple[torch.Tensor, torch.Tensor]:
        """(C sum_l polarity_l lambda_l over fired rules (B,), lambda (B, n_rules))."""
        lam = self.confidences(u_top, u_bottom, fired)
        return self.config.C * (lam * self.polarity).sum(-1), lam

    def fired(self, top_rows: torch.Tensor, bottom_rows: torch.Tensor) -> torch.Tensor:
        return self.top_rules[top_rows] & self.bottom_rules[bottom_rows]

    def pi(self) -> float:
        """pi(t) = min(pi_max, 1 - pi_decay ** t), t = epochs trained so far (fractional)."""
        return min(self.config.pi_max, 1.0 - self.config.pi_decay ** (self.steps / self.steps_per_epoch))

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        """(1 - pi) BPR + pi CE(q, p) for variants with rules (+ the attention's -ln q(y=1)); BPR otherwise."""
        t, j, k = batch[:, 0], batch[:, 1], batch[:, 2]
        u_t, u_j, u_k = self.rows_latent("top", t), self.rows_latent("bottom", j), self.rows_latent("bottom", k)
        x = (u_t * u_j).sum(-1) - (u_t * u_k).sum(-1)
        bpr = -F.logsigmoid(x).mean()
        if self.rule_mode is None:
            return bpr
        bonus_j, _ = self.rule_bonus(u_t, u_j, self.fired(t, j))
        bonus_k, _ = self.rule_bonus(u_t, u_k, self.fired(t, k))
        x_q = x.detach() + bonus_j - bonus_k  # teacher log-odds; gradients reach the attention only
        pi = self.pi()
        if self.training:
            self.steps += 1
        loss = (1 - pi) * bpr + pi * F.binary_cross_entropy_with_logits(x, torch.sigmoid(x_q).detach())
        if self.rule_mode == "attention":
            loss = loss - F.logsigmoid(x_q).mean()
        return loss

    @torch.no_grad()
    def pair_scores(self, top_rows: torch.Tensor, bottom_rows: torch.Tensor, score: str,
                    batch: int = 16384) -> torch.Tensor:
        """Student m(t, b) or teacher s_q(t, b) of aligned catalog rows, in batches."""
        out = []
        for s in range(0, len(top_rows), batch):
            t, b = top_rows[s:s + batch], bottom_rows[s:s + batch]
            u_t, u_b = self.rows_latent("top", t), self.rows_latent("bottom", b)
            m = (u_t * u_b).sum(-1)
            if score == "teacher" and self.rule_mode is not None:
                m = m + self.rule_bonus(u_t, u_b, self.fired(t, b))[0]
            out.append(m.float())
        return torch.cat(out)

    @torch.no_grad()
    def validate(self, rows: torch.Tensor) -> dict:
        """Triplet AUC of the test score ("auc") and of the student ("auc_student")."""
        rows = rows.to(self.image.device)
        out = {}
        for name, score in (("auc", self.config.test_score), ("auc_student", "student")):
            pos = self.pair_scores(rows[:, 0], rows[:, 1], score).cpu()
            neg = self.pair_scores(rows[:, 0], rows[:, 2], score).cpu()
            out[name] = pairwise_auc(pos, neg)
        return out


class Bundle(nn.Module):
    """Every model of one run, VARIANTS x seeds, over one catalog; `main` (AKD-DBPR, first seed) serves the engine.

    The engine's calls: `top_query` (a catalog top, or an upload's encoder features), `complete`
    (the best bottoms for it), `explain` (one pair, every rule) and `rule_overview` (many pairs).
    Two faiss indices are built on first use and kept (`index`): the bottoms' latents under `main`,
    and the catalog tops' pre-trained image features, for the catalog top an upload looks like.
    """

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        for name, dim in (("image", config.image_dim), ("text", config.text_dim)):
            self.register_buffer(f"{name}_mean", torch.zeros(dim))
            self.register_buffer(f"{name}_std", torch.ones(dim))
        models = {}
        for variant in VARIANTS:
            for seed in config.seeds:
                torch.manual_seed(seed)  # the seed decides the initial weights too
                models[f"{variant}_seed{seed}"] = DBPR(config, variant)
        self.models = nn.ModuleDict(models)
        self.rules = [rule_from_dict(r) for r in config.rules]
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.slots: dict[str, str] = {}
        self.categories: dict[str, str] = {}
        self.matcher: RuleMatcher | None = None
        self.top_pictures: tuple[list[str], np.ndarray, list[str]] = ([], np.zeros((0, config.image_dim), np.float32), [])
        self.indices: dict[str, ItemIndex] = {}
        self.index_lock = threading.Lock()

    @property
    def main(self) -> DBPR:
        return self.models[f"akd_seed{self.config.seeds[0]}"]

    def fit_standardisation(self, image: np.ndarray, text: np.ndarray) -> None:
        """Per-dimension mean and standard deviation of the catalog's features, kept with the weights."""
        for name, x in (("image", image), ("text", text)):
            getattr(self, f"{name}_mean").copy_(torch.as_tensor(x.mean(0)))
            getattr(self, f"{name}_std").copy_(torch.as_tensor(x.std(0)).clamp_min(1e-6))

    def standardise(self, name: str, x) -> torch.Tensor:
        mean = getattr(self, f"{name}_mean")
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32, device=mean.device)
        return (x - mean) / getattr(self, f"{name}_std")

    def set_catalog(self, wardrobe: Wardrobe, ids: list[str], image: np.ndarray, text: np.ndarray) -> None:
        """The catalog every model scores: standardised features and the rules' match tables, on the bundle's device."""
        self.ids, self.rows = list(ids), {i: n for n, i in enumerate(ids)}
        self.slots = {i: wardrobe.items[i].slot for i in ids}
        self.categories = {i: wardrobe.items[i].category for i in ids}
        self.matcher = RuleMatcher(self.rules, wardrobe)
        if self.matcher.ids != self.ids:
            raise ValueError("feature ids are not in catalog order")
        device = self.image_mean.device
        tensors = {"image": self.standardise("image", image), "text": self.standardise("text", text),
                   "top_rules": torch.as_tensor(self.matcher.top_match, device=device),
                   "bottom_rules": torch.as_tensor(self.matcher.bottom_match, device=device),
                   "polarity": torch.as_tensor(self.matcher.polarity, device=device)}
        for model in self.models.values():
            for name, value in tensors.items():
                setattr(model, name, value)
        tops = [n for n, i in enumerate(self.ids) if self.slots[i] == "top"]
        self.top_pictures = ([self.ids[n] for n in tops], unit(image[tops]), [self.categories[self.ids[n]] for n in tops])
        self.indices = {}

    def triplet_rows(self, triplets) -> torch.Tensor:
        return torch.tensor([[self.rows[i] for i in t] for t in triplets], dtype=torch.long).view(-1, 3)

    def bottom_vectors(self) -> tuple[list[str], np.ndarray, list[str]]:
        """(bottom ids, their latents u_b under `main`, their fine types): what the "bottoms" index holds.
        The student score is the inner product <u_t, u_b>, so the index retrieves by it exactly."""
        ids = [i for i in self.ids if self.slots[i] == "bottom"]
        rows = torch.tensor([self.rows[i] for i in ids], device=self.image_mean.device)
        with torch.no_grad():
            vectors = self.main.rows_latent("bottom", rows).cpu().numpy()
        return ids, vectors, [self.categories[i] for i in ids]

    def index(self, name: str) -> ItemIndex:
        """The faiss index "bottoms" (latents u_b, grouped by fine type) or "tops" (cosine of the tops'
        pre-trained image features), built on the first call (one thread builds it) and kept."""
        with self.index_lock:
            if name not in self.indices:
                self.indices[name] = (ItemIndex.build(*self.bottom_vectors()) if name == "bottoms"
                                      else ItemIndex.build(*self.top_pictures))
            return self.indices[name]

    def look_alike(self, image_feature, category: str | None = None) -> str:
        """The catalog top whose pre-trained image feature is nearest (by cosine) to `image_feature`, among the
        tops of fine type `category` when the catalog has some."""
        index = self.index("tops")
        group = category if category in index.indices else None
        ids, _ = index.search(unit(np.asarray(image_feature).reshape(1, -1)), 1, slot=group)
        return ids[0][0]

    def top_query(self, item_id: str | None = None, image_feature=None, text_feature=None, text: str = "",
                  category: str | None = None) -> TopQuery:
        """A catalog top (`item_id`), or a new one from its encoder features (missing text: the catalog's mean).
        `text` adds words the rules may fire on (e.g. "silk blouse"; for a picture, what the photo reader read
        and the person's words). A new top is shown beside the catalog top of its fine type `category` it looks
        most like (`look_alike`); it takes no rules from it."""
        extra = torch.as_tensor(self.matcher.match_texts([text])[0][0] if text else np.zeros(len(self.rules), bool),
                                device=self.image_mean.device)
        if item_id is not None:
            if item_id not in self.rows:
                raise BadInput(f"There is no item {item_id!r} in this catalog.")
            if self.slots[item_id] != "top":
                raise BadInput(f"Item {item_id!r} is a {self.slots[item_id]}, not a top.")
            row = torch.tensor([self.rows[item_id]], device=self.image_mean.device)
            return TopQuery(item_id, self.main.rows_latent("top", row), self.main.top_rules[row[0]] | extra)
        like = self.look_alike(image_feature, category)
        image = self.standardise("image", np.asarray(image_feature, dtype=np.float32).reshape(1, -1))
        text_x = (self.standardise("text", np.asarray(text_feature, dtype=np.float32).reshape(1, -1))
                  if text_feature is not None else torch.zeros(1, self.config.text_dim, device=image.device))
        return TopQuery("upload", self.main.latent("top", image, text_x), extra, like)

    def _pair_terms(self, query: TopQuery, bottom_ids: list[str]):
        """Student scores, rule confidences and fired rules of `query` against bottoms, under `main`."""
        rows = torch.tensor([self.rows[i] for i in bottom_ids], device=self.image_mean.device, dtype=torch.long)
        u_b = self.main.rows_latent("bottom", rows)
        u_t = query.latent.expand(len(rows), -1)
        fired = query.top_rules[None] & self.main.bottom_rules[rows]
        student = (u_t * u_b).sum(-1)
        bonus, lam = self.main.rule_bonus(u_t, u_b, fired)
        return student.float().cpu().numpy(), (student + bonus).float().cpu().numpy(), lam.float().cpu().numpy(), \
            fired.cpu().numpy()

    def _rule_uses(self, lam: np.ndarray, fired: np.ndarray, only_fired: bool) -> list[RuleUse]:
        return [RuleUse(r.name, r.kind, r.text, r.polarity, bool(fired[n]), float(lam[n]),
                        float(self.config.C * r.polarity * lam[n]))
                for n, r in enumerate(self.rules) if fired[n] or not only_fired]

    def complete(self, query: TopQuery, k: int, category: str | None = None) -> list[BottomMatch]:
        """The k best bottoms for `query` (only those of fine type `category` if given): the "bottoms" index
        retrieves max(4k, 100) candidates by the student's <u_t, u_b>, `rank` rescores them exactly."""
        index = self.index("bottoms")
        if category is not None and category not in index.indices:
            raise BadInput(f"There are no bottoms of type {category!r} in this catalog.")
        ids, _ = index.search(query.latent.cpu().numpy(), max(4 * k, 100), slot=category)
        return self.rank(query, [i for i in ids[0] if i is not None])[:k]

    def rank(self, query: TopQuery, bottom_ids: list[str]) -> list[BottomMatch]:
        """Exact rescoring of candidate bottoms, best first by the test score."""
        if not bottom_ids:
            return []
        student, teacher, lam, fired = self._pair_terms(query, bottom_ids)
        score = teacher if self.config.test_score == "teacher" else student
        return [BottomMatch(bottom_ids[n], float(score[n]), float(student[n]), float(teacher[n]),
                            self._rule_uses(lam[n], fired[n], only_fired=True))
                for n in np.argsort(-score, kind="stable")]

    def explain(self, query: TopQuery, bottom_id: str) -> PairExplanation:
        """Teacher and student scores of (top, bottom) and every rule: fired, polarity, confidence, contribution."""
        if self.slots.get(bottom_id) != "bottom":
            raise BadInput(f"{bottom_id!r} is not a bottom of this catalog.")
        student, teacher, lam, fired = self._pair_terms(query, [bottom_id])
        return PairExplanation(query.label, bottom_id, float(student[0]), float(teacher[0]),
                               float(1.0 - lam[0].sum()), self._rule_uses(lam[0], fired[0], only_fired=False),
                               query.like)

    def rule_overview(self, tops: list[str], bottoms: list[str]) -> list[dict]:
        """Per rule, over the (top, bottom) pairs given: how often it fired and its mean confidence where it
        fired, under `main` (the "Rule attention" tab's dataset view)."""
        device = self.image_mean.device
        t = torch.tensor([self.rows[i] for i in tops], device=device)
        b = torch.tensor([self.rows[i] for i in bottoms], device=device)
        fired = self.main.fired(t, b)
        lam = self.main.confidences(self.main.rows_latent("top", t), self.main.rows_latent("bottom", b), fired)
        fired, lam = fired.cpu().numpy(), lam.float().cpu().numpy()
        n_fired = fired.sum(0)
        return [{"rule": r.name, "kind": r.kind, "polarity": r.polarity, "text": r.text, "pairs_fired": int(n_fired[n]),
                 "mean_confidence": float(lam[fired[:, n], n].mean()) if n_fired[n] else 0.0}
                for n, r in enumerate(self.rules)]


# ---------------------------------------------------------------- inference (the engine's complete / explain)
@dataclass
class RuleUse:
    """One rule on one (top, bottom) pair: its confidence lambda and its contribution C * polarity * lambda."""

    name: str
    kind: str
    text: str
    polarity: int
    fired: bool
    confidence: float
    contribution: float


@dataclass
class BottomMatch:
    """A ranked bottom: `score` is the test score (teacher or student, Config.test_score); `rules` those that fired."""

    item_id: str
    score: float
    student_score: float
    teacher_score: float
    rules: list[RuleUse]
    like: str | None = None  # an uploaded top: the catalog top of its read type it looks most like
    reading: object = None  # an uploaded top: the photo reader's Reading (set by the engine)


@dataclass
class PairExplanation:
    """Teacher and student scores of a pair, every rule (fired or not), and the confidence left on the null rule."""

    top: str
    bottom: str
    student_score: float
    teacher_score: float
    null_confidence: float
    rules: list[RuleUse]
    like: str | None = None  # an uploaded top: the catalog top of its read type it looks most like
    reading: object = None  # an uploaded top: the photo reader's Reading (set by the engine)


@dataclass
class TopQuery:
    """A top to complete: its latent u_t under the served model and which rules' top conditions it meets."""

    label: str  # the item id, or "upload"
    latent: torch.Tensor  # (1, latent_dim)
    top_rules: torch.Tensor  # (n_rules,) bool
    like: str | None = None  # an upload: the catalog top of its read type it looks most like (shown, not used)


def catalog_features(wardrobe: Wardrobe, config: Config, device) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(ids, image features, text features) of the catalog, from the feature cache."""
    ids, image = image_features(wardrobe, config.image_encoder, device=device)
    text_ids, text = text_features(wardrobe, config.text_encoder, device=device)
    if text_ids != ids:
        raise ValueError("image and text feature caches disagree on the catalog order")
    return ids, image, text


def train(wardrobe: Wardrobe, out_dir, *, config: Config | None = None, epochs: int | None = None,
          device="auto") -> dict:
    """Train every variant for every seed on the training triplets; save them together; return the manifest entry.

    `config` (default Config()) gets the source's rule table (`rules_for`) and the encoders' dimensions."""
    device = pick_device(device)
    config = copy.deepcopy(config or Config())
    config.rules = [rule_to_dict(r) for r in rules_for(wardrobe)]
    if epochs:
        config.epochs = epochs
    ids, image, text = catalog_features(wardrobe, config, device)
    config.image_dim, config.text_dim = image.shape[1], text.shape[1]
    bundle = Bundle(config)
    bundle.fit_standardisation(image, text)
    bundle.to(device).set_catalog(wardrobe, ids, image, text)
    train_rows = bundle.triplet_rows([t for s in range(config.negatives)
                                      for t in top_bottom_triplets(wardrobe, "train", seed=s)])
    valid_rows = bundle.triplet_rows(top_bottom_triplets(wardrobe, "valid"))
    history = {}
    with cpu_threads(1 if device.type == "cpu" else torch.get_num_threads()):
        for name, model in bundle.models.items():
            t0 = time.time()
            model.steps, model.steps_per_epoch = 0, -(-len(train_rows) // config.batch_size)
            seed = int(name.rsplit("seed", 1)[1])
            result = fit(model, train_rows, TrainConfig(epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
                                                        weight_decay=config.weight_decay, patience=config.patience,
                                                        seed=seed, device=str(device)),
                         valid_data=valid_rows if len(valid_rows) else None)
            history[name] = {**result.best, "best_epoch": result.best_epoch, "train_seconds": round(time.time() - t0, 1)}
            tqdm.write(f"{name}: best epoch {result.best_epoch}, valid auc {result.best.get('auc', float('nan')):.4f}")
    return checkpoints.save(out_dir, NAME, bundle.half(), data=wardrobe.spec,
                            fingerprint=wardrobe.fingerprint(),
                            encoders={"image": config.image_encoder, "text": config.text_encoder},
                            metrics={"valid": history, "n_train_triplets": len(train_rows)})


def load(checkpoint_dir, wardrobe: Wardrobe, device="cpu") -> Bundle:
    """The trained bundle on `device`, in eval mode, scoring `wardrobe`'s catalog with the rules it was trained with."""
    device = device if isinstance(device, torch.device) else pick_device(device)
    bundle = Bundle(Config(**checkpoints.entry(checkpoint_dir, NAME)["config"]))
    checkpoints.load(checkpoint_dir, NAME, bundle)
    bundle.to(device).eval()
    bundle.set_catalog(wardrobe, *catalog_features(wardrobe, bundle.config, device))
    return bundle

