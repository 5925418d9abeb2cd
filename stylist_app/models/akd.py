"""AKD-DBPR (Song et al., SIGIR 2018): complete-the-look ranking with attentive rule distillation.

Student p (DBPR): each item has a visual feature x^v (effnet-lite0, 1280-d) and a contextual one
x^c (MiniLM over `Item.text`, 384-d), standardised with the catalog's statistics. Each passes
through its own one-layer sigmoid path, separately for tops and bottoms (the released code:
v_t = sigma(W1 x^v_t + b1), v_b = sigma(W2 x^v_b + b2), and likewise for text), and the
compatibility of top t and bottom b is the inner product of the concatenated latents

    m(t, b) = <[v_t; c_t], [v_b; c_b]> = v_t . v_b + c_t . c_b,

trained with BPR on triplets (t, worn bottom j, random bottom k): -ln sigma(m_tj - m_tk).
Because m is an inner product, the engine retrieves candidates with a faiss index over the
bottoms' latents and rescores them exactly.

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
the metrics report q (`AKDConfig.test_score`), and the student's figures beside it.

Baselines, trained in the same run on the same triplets and seeds (all saved together in
`akd.safetensors`; the engine serves AKD-DBPR of the first seed):
- `bpr`: the visual path only, BPR (no text, no rules);
- `dbpr`: the student alone (no rules);
- `akd_constant_lambda`: AKD-DBPR with the attention replaced by equal confidences (the same
  softmax over fired rules + null with every logit 0, so lambda = 1 / (1 + n fired));
- `rules_only` (in `evaluate`): s(t, b) = sum of the polarities of the rules firing on (t, b).

Choices forced by the budget (a CPU, a 5 MB checkpoint with 4 models x 3 seeds): latents of 32
(the code: 1024; on the builtin validation split 32 beat 16 and 64), AdamW instead of SGD with
momentum, 3 triplets per worn pair (the code's K = 3, here `tasks.top_bottom_triplets` seeds 0-2),
early stopping on validation AUC; weights are stored in float16 and loaded back into float32.
On the CPU the models train on one thread: for matrices this small, more threads only contend.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from stylist_app import checkpoints
from stylist_app.data.schema import DataError, Wardrobe
from stylist_app.data.tasks import item_popularity, top_bottom_triplets
from stylist_app.evaluate import hit_at_k, mrr, oracle_for, pairwise_auc
from stylist_app.features import image_features, text_features
from stylist_app.models.rules import RuleMatcher, rule_from_dict, rule_to_dict, rules_for
from stylist_app.train import TrainConfig, cpu_threads, fit, pick_device

NAME = "akd"
VARIANTS = ("akd", "akd_constant_lambda", "dbpr", "bpr")
RULE_MODES = {"akd": "attention", "akd_constant_lambda": "constant"}


@dataclass
class AKDConfig:
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
    seeds: tuple[int, ...] = (0, 1, 2)
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
    features and rule tables are buffers set by `AKDSuite.set_catalog`.
    """

    def __init__(self, config: AKDConfig, variant: str):
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
        """u = [v; c] of tops (side "top") or bottoms ("bottom") from standardised features."""
        v = (self.top_visual if side == "top" else self.bottom_visual)(image)
        if not self.uses_text:
            return v
        return torch.cat([v, (self.top_text if side == "top" else self.bottom_text)(text)], -1)

    def rows_latent(self, side: str, rows: torch.Tensor) -> torch.Tensor:
        return self.latent(side, self.image[rows], self.text[rows])

    def confidences(self, u_top: torch.Tensor, u_bottom: torch.Tensor, fired: torch.Tensor) -> torch.Tensor:
        """lambda (B, n_rules): softmax over the fired rules and the null rule (0 where a rule does not fire)."""
        if self.rule_mode == "attention":
            logits = self.attention(u_top.detach(), u_bottom.detach())
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


class AKDSuite(nn.Module):
    """Every model of one run, VARIANTS x seeds, over one catalog; `main` (AKD-DBPR, first seed) serves the engine."""

    def __init__(self, config: AKDConfig):
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
        """The catalog every model scores: standardised features and the rules' match tables, on the suite's device."""
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

    def triplet_rows(self, triplets) -> torch.Tensor:
        return torch.tensor([[self.rows[i] for i in t] for t in triplets], dtype=torch.long).view(-1, 3)

    def bottom_vectors(self) -> tuple[list[str], np.ndarray, list[str]]:
        """(bottom ids, their latents u_b under `main`, their fine types): what the engine's index holds.
        The student score is the inner product <u_t, u_b>, so the index retrieves by it exactly."""
        ids = [i for i in self.ids if self.slots[i] == "bottom"]
        rows = torch.tensor([self.rows[i] for i in ids], device=self.image_mean.device)
        with torch.no_grad():
            vectors = self.main.rows_latent("bottom", rows).float().cpu().numpy()
        return ids, vectors, [self.categories[i] for i in ids]

    def top_query(self, item_id: str | None = None, image_feature=None, text_feature=None, text: str = "",
                  like: str | None = None) -> TopQuery:
        """A catalog top (`item_id`), or a new one from its encoder features (missing text: the catalog's mean).
        `text` adds words the rules may fire on (e.g. "silk blouse"); `like`, a catalog top whose top-side
        rules a new top takes (a picture has no category or words of its own)."""
        extra = torch.as_tensor(self.matcher.match_texts([text])[0][0] if text else np.zeros(len(self.rules), bool),
                                device=self.image_mean.device)
        if like is not None:
            extra = extra | self.main.top_rules[self.rows[like]]
        if item_id is not None:
            if item_id not in self.rows:
                raise ValueError(f"unknown item id {item_id!r}")
            if self.slots[item_id] != "top":
                raise ValueError(f"item {item_id!r} is a {self.slots[item_id]}, not a top")
            row = torch.tensor([self.rows[item_id]], device=self.image_mean.device)
            return TopQuery(item_id, self.main.rows_latent("top", row), self.main.top_rules[row[0]] | extra)
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
            raise ValueError(f"{bottom_id!r} is not a bottom of this catalog")
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
    """A ranked bottom: `score` is the test score (teacher or student, AKDConfig.test_score); `rules` those that fired."""

    item_id: str
    score: float
    student_score: float
    teacher_score: float
    rules: list[RuleUse]


@dataclass
class PairExplanation:
    """Teacher and student scores of a pair, every rule (fired or not), and the confidence left on the null rule."""

    top: str
    bottom: str
    student_score: float
    teacher_score: float
    null_confidence: float
    rules: list[RuleUse]
    like: str | None = None  # an uploaded top: the catalog top whose top-side rules it took


@dataclass
class TopQuery:
    """A top to complete: its latent u_t under the served model and which rules' top conditions it meets."""

    label: str  # the item id, or "upload"
    latent: torch.Tensor  # (1, latent_dim)
    top_rules: torch.Tensor  # (n_rules,) bool
    like: str | None = None  # an upload: the catalog top it looks most like, whose rules it takes


def catalog_features(wardrobe: Wardrobe, config: AKDConfig, device) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(ids, image features, text features) of the catalog, from the feature cache."""
    ids, image = image_features(wardrobe, config.image_encoder, device=device)
    text_ids, text = text_features(wardrobe, config.text_encoder, device=device)
    if text_ids != ids:
        raise ValueError("image and text feature caches disagree on the catalog order")
    return ids, image, text


def train(wardrobe: Wardrobe, out_dir, *, epochs=None, device="auto", config: AKDConfig | None = None) -> dict:
    """Train every variant for every seed on the training triplets; save them together; return the manifest entry.

    `config` (default AKDConfig()) gets the source's rule table (`rules_for`) and the encoders' dimensions."""
    device = pick_device(device)
    config = copy.deepcopy(config or AKDConfig())
    config.rules = [rule_to_dict(r) for r in rules_for(wardrobe)]
    if epochs:
        config.epochs = epochs
    ids, image, text = catalog_features(wardrobe, config, device)
    config.image_dim, config.text_dim = image.shape[1], text.shape[1]
    suite = AKDSuite(config)
    suite.fit_standardisation(image, text)
    suite.to(device).set_catalog(wardrobe, ids, image, text)
    train_rows = suite.triplet_rows([t for s in range(config.negatives)
                                     for t in top_bottom_triplets(wardrobe, "train", seed=s)])
    valid_rows = suite.triplet_rows(top_bottom_triplets(wardrobe, "valid"))
    history = {}
    with cpu_threads(1 if device.type == "cpu" else torch.get_num_threads()):
        for name, model in suite.models.items():
            t0 = time.time()
            model.steps, model.steps_per_epoch = 0, -(-len(train_rows) // config.batch_size)
            seed = int(name.rsplit("seed", 1)[1])
            result = fit(model, train_rows, TrainConfig(epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
                                                        weight_decay=config.weight_decay, patience=config.patience,
                                                        seed=seed, device=str(device)),
                         valid_data=valid_rows if len(valid_rows) else None)
            history[name] = {**result.best, "best_epoch": result.best_epoch, "train_seconds": round(time.time() - t0, 1)}
            tqdm.write(f"{name}: best epoch {result.best_epoch}, valid auc {result.best.get('auc', float('nan')):.4f}")
    return checkpoints.save(out_dir, NAME, copy.deepcopy(suite).half(), data=wardrobe.spec,
                            fingerprint=wardrobe.fingerprint(),
                            encoders={"image": config.image_encoder, "text": config.text_encoder},
                            metrics={"valid": history, "n_train_triplets": len(train_rows)})


def load(checkpoint_dir, wardrobe: Wardrobe, device="cpu") -> AKDSuite:
    """The trained suite on `device`, in eval mode, scoring `wardrobe`'s catalog with the rules it was trained with."""
    device = device if isinstance(device, torch.device) else pick_device(device)
    suite = AKDSuite(AKDConfig(**checkpoints.entry(checkpoint_dir, NAME)["config"]))
    checkpoints.load(checkpoint_dir, NAME, suite)
    suite.to(device).eval()
    suite.set_catalog(wardrobe, *catalog_features(wardrobe, suite.config, device))
    return suite


# ---------------------------------------------------------------- evaluation
@dataclass
class RankingTasks:
    """Held-out top-bottom questions of one split, as aligned id lists.

    - triplets (top, worn bottom, random bottom): AUC;
    - the worn bottom among `n_candidates` random other bottoms (column 0): MRR and hit@10;
    - hard negatives: drawn in proportion to the bottoms' popularity in the split's outfits
      (popularity alone scores 0.5: `auc_hard`), and of the worn bottom's fine type (`auc_same_type`);
    - cold start: the questions whose top is in no training outfit.
    """

    tops: list[str]
    positives: list[str]
    negatives: list[str]
    candidates: list[list[str]]
    popular_negatives: list[str]
    same_type_negatives: list[str]
    cold: np.ndarray  # boolean mask over the questions


def ranking_tasks(wardrobe: Wardrobe, split: str = "test", seed: int = 0, n_candidates: int = 100) -> RankingTasks:
    triplets = top_bottom_triplets(wardrobe, split)
    if not triplets:
        raise DataError(f"{wardrobe.spec}: no outfit of the {split!r} split has a top and a bottom to evaluate on")
    bottoms = np.asarray(wardrobe.items_in_slot("bottom"), dtype=object)
    by_type: dict[str, list[str]] = {}
    for b in bottoms:
        by_type.setdefault(wardrobe.items[b].category, []).append(b)
    pop = item_popularity(wardrobe, split)
    weights = np.array([pop.get(b, 0) for b in bottoms], dtype=float) + 1e-9
    rng = np.random.default_rng(seed)
    candidates, popular, same_type = [], [], []
    for _, j, _ in triplets:
        others = rng.choice(len(bottoms), size=min(n_candidates + 1, len(bottoms)), replace=False)
        candidates.append([j] + [b for b in bottoms[others] if b != j][:n_candidates])
        w = weights * (bottoms != j)
        popular.append(bottoms[rng.choice(len(bottoms), p=w / w.sum())])
        pool = [b for b in by_type[wardrobe.items[j].category] if b != j] or [b for b in bottoms if b != j]
        same_type.append(pool[int(rng.integers(len(pool)))])
    seen = {i for o in wardrobe.split_outfits("train") for i in o.items}
    tops = [t for t, _, _ in triplets]
    return RankingTasks(tops, [j for _, j, _ in triplets], [k for _, _, k in triplets], candidates, popular, same_type,
                        np.array([t not in seen for t in tops], dtype=bool))


def ranking_metrics(score_pairs, tasks: RankingTasks) -> dict:
    """AUC, MRR, hit@10, the hard AUCs and the cold-start AUC / MRR of `score_pairs(tops, bottoms) -> scores`."""
    n, width = len(tasks.tops), len(tasks.candidates[0])
    tops = tasks.tops * 4 + [t for t, c in zip(tasks.tops, tasks.candidates) for _ in c]
    bottoms = (tasks.positives + tasks.negatives + tasks.popular_negatives + tasks.same_type_negatives
               + [b for c in tasks.candidates for b in c])
    s = np.asarray(score_pairs(tops, bottoms), dtype=np.float64)
    pos, neg, popular, same_type = s[:n], s[n:2 * n], s[2 * n:3 * n], s[3 * n:4 * n]
    table = s[4 * n:].reshape(n, width)

    def block(mask) -> dict:
        return {"auc": pairwise_auc(pos[mask], neg[mask]), "mrr": mrr(table[mask]), "hit@10": hit_at_k(table[mask], 10)}

    out = block(np.ones(n, dtype=bool))
    out["auc_hard"] = pairwise_auc(pos, popular)
    out["auc_same_type"] = pairwise_auc(pos, same_type)
    if tasks.cold.any():
        out["cold_start"] = block(tasks.cold)
    return out


def mean_and_spread(per_seed: list[dict]) -> dict:
    """Mean of every metric over seeds, with `<name>_std` (sample standard deviation) and the per-seed values."""
    def merge(rows: list[dict]) -> dict:
        out = {}
        for key, value in rows[0].items():
            if isinstance(value, dict):
                out[key] = merge([r[key] for r in rows])
            else:
                values = np.array([r[key] for r in rows], dtype=float)
                out[key] = float(values.mean())
                out[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
        return out

    return {**merge(per_seed), "seeds": per_seed}


def ordering_checks(results: dict, pairs=(("akd", "dbpr"), ("dbpr", "bpr"), ("akd", "akd_constant_lambda")),
                    keys=("auc", "mrr", "cold_start.auc", "cold_start.mrr")) -> dict:
    """For each (better, worse) pair and metric: the margin of the means, the spread (the larger of the two
    seed standard deviations) and whether the margin exceeds it. Metrics a split lacks (no cold tops) are left out."""
    out = {}
    for better, worse in pairs:
        for key in keys:
            head, _, leaf = key.rpartition(".")
            a, b = (results[m].get(head) if head else results[m] for m in (better, worse))
            if a is None or b is None:
                continue
            margin, spread = a[leaf] - b[leaf], max(a[f"{leaf}_std"], b[f"{leaf}_std"])
            out[f"{key}: {better} > {worse}"] = {"margin": margin, "spread": spread, "met": bool(margin > spread)}
    return out


def attention_check(suite: AKDSuite, wardrobe: Wardrobe, oracle, tasks: RankingTasks, split: str = "test") -> dict:
    """Does the attention trust a rule less where the hidden pair term contradicts it?

    Over the fired (pair, rule) entries of the split's (top, worn bottom) and (top, random bottom)
    pairs: the rule is contradicted when the sign of the oracle's pair term pair(t, b, s), under
    the style s of the outfit the top was worn in, differs from its polarity, and agrees when it
    is the same. Reports AKD-DBPR's mean confidence in both groups (mean over seeds) and per rule.
    """
    style_of = {}
    for outfit in wardrobe.split_outfits(split):
        for iid in outfit.items:
            style_of.setdefault(iid, oracle.outfit_style[outfit.id])
    tops, bottoms = tasks.tops * 2, tasks.positives + tasks.negatives
    fired = suite.matcher.fires(tops, bottoms)
    pair, rule = np.nonzero(fired)
    if not len(pair):
        return {}
    term = np.array([oracle.pair_term(tops[p], bottoms[p], style_of[tops[p]]) for p in pair])
    agrees = np.sign(term) == suite.matcher.polarity[rule]
    keep = term != 0
    confidence = np.zeros(len(pair))
    models = [m for name, m in suite.models.items() if name.startswith("akd_seed")]
    for model in models:
        device = model.image.device
        t = torch.tensor([suite.rows[i] for i in tops], device=device)
        b = torch.tensor([suite.rows[i] for i in bottoms], device=device)
        with torch.no_grad():
            lam = model.confidences(model.rows_latent("top", t), model.rows_latent("bottom", b), model.fired(t, b))
        confidence += lam.float().cpu().numpy()[pair, rule] / len(models)
    per_rule = {}
    for r, name in enumerate(x.name for x in suite.rules):
        a, c = keep & (rule == r) & agrees, keep & (rule == r) & ~agrees
        if a.sum() >= 5 and c.sum() >= 5:
            per_rule[name] = {"agree": float(confidence[a].mean()), "contradict": float(confidence[c].mean()),
                              "n_agree": int(a.sum()), "n_contradict": int(c.sum())}
    lower = sum(v["contradict"] < v["agree"] for v in per_rule.values())
    return {"confidence_agree": float(confidence[keep & agrees].mean()),
            "confidence_contradict": float(confidence[keep & ~agrees].mean()),
            "n_agree": int((keep & agrees).sum()), "n_contradict": int((keep & ~agrees).sum()),
            "rules_lower_when_contradicted": f"{lower} of {len(per_rule)}", "per_rule": per_rule}


def rule_headroom(suite: AKDSuite, wardrobe: Wardrobe, tasks: RankingTasks, alphas=(0.25, 0.5, 1.0)) -> dict:
    """How much could the rules add to a student that never saw them? (The ceiling AKD-DBPR works under.)

    For each DBPR seed, the triplet AUC of m(t, b) + sum_l w_l polarity_l r_l(t, b) on the `tasks`
    split: with one weight w_l = alpha for every rule, and with each rule's w_l >= 0 fitted on the
    validation triplets (where the student makes held-out errors, unlike the training triplets it
    fits) by logistic loss, the student held fixed. Mean over seeds, with the student alone."""
    valid = suite.triplet_rows(top_bottom_triplets(wardrobe, "valid"))
    split = suite.triplet_rows(list(zip(tasks.tops, tasks.positives, tasks.negatives)))

    def terms(model: DBPR, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = rows.to(model.image.device)
        t, j, k = rows[:, 0], rows[:, 1], rows[:, 2]
        x = model.pair_scores(t, j, "student") - model.pair_scores(t, k, "student")
        return x.cpu(), ((model.fired(t, j).float() - model.fired(t, k).float()) * model.polarity).cpu()

    def auc_of(x: torch.Tensor) -> float:
        return pairwise_auc(x.numpy(), np.zeros(len(x)))

    rows = []
    for seed in suite.config.seeds:
        model = suite.models[f"dbpr_seed{seed}"]
        x, r = terms(model, split)
        xv, rv = terms(model, valid)
        a = torch.zeros(r.shape[1], requires_grad=True)
        opt = torch.optim.Adam([a], lr=0.05)
        with torch.enable_grad():
            for _ in range(300):
                loss = -F.logsigmoid(xv + rv @ F.softplus(a)).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
        fitted = F.softplus(a).detach()
        rows.append({"student": auc_of(x), **{f"alpha_{al}": auc_of(x + al * r.sum(1)) for al in alphas},
                     "fitted_on_valid": auc_of(x + r @ fitted)})
    return {"auc": {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}, "model": "dbpr",
            "seeds": rows}


def evaluate(wardrobe: Wardrobe, checkpoint_dir, *, split="test", device="auto") -> dict:
    """The metrics DESIGN.md lists for akd (test score of AKD-DBPR and every baseline, mean and spread over seeds)."""
    suite = load(checkpoint_dir, wardrobe, pick_device(device))
    tasks = ranking_tasks(wardrobe, split)
    config = suite.config

    def scorer(model: DBPR, score: str):
        def score_pairs(tops, bottoms):
            t = torch.tensor([suite.rows[i] for i in tops], device=model.image.device)
            b = torch.tensor([suite.rows[i] for i in bottoms], device=model.image.device)
            return model.pair_scores(t, b, score).cpu().numpy()
        return score_pairs

    def runs(variant: str, score: str) -> dict:
        return mean_and_spread([ranking_metrics(scorer(suite.models[f"{variant}_seed{s}"], score), tasks)
                                for s in config.seeds])

    def rules_only(tops, bottoms):
        return (suite.matcher.fires(tops, bottoms) * suite.matcher.polarity).sum(1)

    results = {variant: runs(variant, config.test_score) for variant in VARIANTS}
    other = "student" if config.test_score == "teacher" else "teacher"
    akd = results.pop("akd")
    out = {**akd, "score": config.test_score, "n_triplets": len(tasks.tops), "n_cold_triplets": int(tasks.cold.sum()),
           "n_candidates": len(tasks.candidates[0]) - 1, "n_rules": len(suite.rules),
           "baselines": {**results, "rules_only": ranking_metrics(rules_only, tasks)},
           other: {variant: runs(variant, other) for variant in RULE_MODES},
           "targets": ordering_checks({"akd": akd, **results})}
    oracle = oracle_for(wardrobe)
    if oracle is not None:
        cache: dict = {}

        def oracle_pairs(tops, bottoms):
            return [cache.setdefault((t, b), oracle.outfit_score((t, b))) for t, b in zip(tops, bottoms)]

        out["oracle"] = ranking_metrics(oracle_pairs, tasks)
        out["attention_check"] = attention_check(suite, wardrobe, oracle, tasks, split)
    if split == "test" and top_bottom_triplets(wardrobe, "valid"):
        out["rule_headroom"] = rule_headroom(suite, wardrobe, tasks)
    return out
