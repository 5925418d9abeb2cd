"""Outfit transformer: an outfit model that reads the whole outfit at once (after Sarkar et al.,
"OutfitTransformer: Learning Outfit Representations for Fashion Recommendation", WACV 2023; beyond the
seed papers, a second backend beside the Bi-LSTM for `fill_in_blank` and `score_outfit`).

- Item token: LayerNorm + linear of the cached `effnet-lite0` image features, plus LayerNorm + linear of the
  MiniLM features of the item's listing (`Item.text`: on Mango its colour, fabric, family and type words; on
  builtin the listing), plus a learned embedding of the item itself for items of the training outfits (dropped,
  i.e. replaced by the shared "unseen item" embedding, with probability `id_dropout` in training, so that items
  never seen in an outfit and uploads are read by their picture and words), plus a learned slot embedding. An
  uploaded picture has no listing: its text part is zero, which training sees too (`text_dropout`).
- A small pre-norm transformer encoder (`layers` x `heads`, no positional encoding: an outfit is a set).
- Objective (the paper's FITB training, with the whole catalog as candidates): one item of each training outfit
  is replaced by a learned mask token (with its slot's embedding); the encoder's output there, through a linear
  layer, is dotted with every training item's embedding (image + text + item parts), and cross-entropy asks for
  the true item. Early stopping on the valid split's FITB + AUC, like the Bi-LSTM.
- Compatibility of an outfit (`score_rows`) = its pseudo-log-likelihood: the mean over its items of log
  Pr(item | the others), the softmax over the catalog (higher = more compatible; on the same footing as the
  Bi-LSTM's mean log-likelihood per step, but a different model). FITB = the candidate whose completed outfit
  scores highest (`fill_in_blank`). It does not generate outfits (the Bi-LSTM does).

Departures from the paper: frozen image and sentence encoders (the paper trains its own), learned item
embeddings beside the content (the paper reads content only), 2 layers of width 128, the masked-item objective
over the catalog instead of the paper's compatibility pre-training with curriculum FITB fine-tuning (on Mango's
valid split a compatibility head trained on the FITB question against 3 sampled negatives and on a random-outfit
contrast reached 0.72 FITB after 9 epochs, the masked objective 0.77 after 5; with item embeddings 0.78 against
0.80 after 8; adding a FITB-hard term, the true item against 15 of its own type, did not help: 0.793 FITB and
0.715 FITB-hard after 7 epochs against 0.784 and 0.731; `stylist train` prints the valid figures).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from stylist_app import checkpoints
from stylist_app.data.schema import SLOT_ORDER, SLOTS
from stylist_app.features import image_features, text_features
from stylist_app.models.bilstm import BlankAnswer, ScoredOutfit, _slot_rows, dot, validation_metrics
from stylist_app.train import TrainConfig, fit, pick_device, seed_everything

NAME = "outfit_transformer"


@dataclass
class Config:
    """The model's sizes and its training (AdamW, early stopping on valid FITB + AUC)."""

    image_encoder: str = "effnet-lite0"  # cached image features (features.py)
    in_dim: int = 1280
    text_encoder: str = "minilm"  # cached sentence features of each item's listing
    text_dim: int = 384
    dim: int = 128
    layers: int = 2
    heads: int = 4
    dropout: float = 0.1
    text_dropout: float = 0.3  # share of items whose listing is hidden in training (an upload has none)
    id_dropout: float = 0.5  # share of items read without their own embedding in training (unseen items, uploads)
    n_items: int = 0  # rows of the item embedding table (the training catalog's size, set by `train`)
    epochs: int = 10
    lr: float = 2e-3
    batch_size: int = 64  # outfits
    weight_decay: float = 1e-4
    patience: int = 3
    seed: int = 0


@dataclass
class ItemTable:
    """The items the model can score: image and text features, item-embedding rows (`unseen` for items of no
    training outfit and uploads), slot indices, names; rows 0..n_catalog-1 are the catalog in
    `OutfitTransformer.ids` order, then uploaded pictures ("upload-k", no text)."""

    image: torch.Tensor
    text: torch.Tensor
    item: torch.Tensor
    slots: torch.Tensor
    n_catalog: int
    names: list[str]

    @property
    def slot_list(self) -> list[int]:
        return self.slots.tolist()


class OutfitTransformer(nn.Module):
    """Item tokens -> transformer encoder -> the masked item (see the module docstring)."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        d = config.dim
        self.image = nn.Sequential(nn.LayerNorm(config.in_dim), nn.Linear(config.in_dim, d))
        self.text = nn.Sequential(nn.LayerNorm(config.text_dim), nn.Linear(config.text_dim, d))
        self.item = nn.Embedding(config.n_items + 1, d)  # the last row: an item of no training outfit
        nn.init.normal_(self.item.weight, std=0.02)
        self.slot = nn.Embedding(len(SLOTS), d)
        self.mask = nn.Parameter(torch.zeros(d))
        layer = nn.TransformerEncoderLayer(d, config.heads, 2 * d, config.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.out = nn.Sequential(nn.LayerNorm(d), nn.Linear(d, d))
        self.register_buffer("features", torch.zeros(0, config.in_dim), persistent=False)
        self.register_buffer("text_features", torch.zeros(0, config.text_dim), persistent=False)
        self.register_buffer("item_rows", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("slot_of", torch.zeros(0, dtype=torch.long), persistent=False)
        self.register_buffer("train_rows", torch.zeros(0, dtype=torch.long), persistent=False)
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}

    @property
    def unseen(self) -> int:
        return self.config.n_items

    # ------------------------------------------------------------ catalog
    def set_catalog(self, ids, features, slots, text_features, seen=None) -> None:
        """The catalog: ids, (N, in_dim) image features, slot names, (N, text_dim) listing features, and which
        items have their own embedding (`seen`: a bool per item, the items of the training outfits of the wardrobe
        the model was trained on; None: none has)."""
        device = self.mask.device
        self.ids = list(ids)
        self.rows = {i: n for n, i in enumerate(self.ids)}
        self.features = torch.as_tensor(features, dtype=torch.float32, device=device)
        self.text_features = torch.as_tensor(text_features, dtype=torch.float32, device=device)
        self.slot_of = torch.tensor([SLOT_ORDER[s] for s in slots], dtype=torch.long, device=device)
        own = torch.as_tensor(seen if seen is not None else np.zeros(len(self.ids), bool), device=device)
        if len(own) > self.config.n_items:  # more items than the embedding table: not the training catalog
            own = torch.zeros_like(own)
        self.item_rows = torch.where(own, torch.arange(len(self.ids), device=device), self.unseen)

    def set_training_outfits(self, outfits) -> None:
        """The training outfits (tuples of catalog rows): their items are the softmax's candidates in training."""
        self.train_rows = torch.tensor(sorted({r for o in outfits for r in o}), dtype=torch.long, device=self.mask.device)

    def table(self) -> ItemTable:
        return ItemTable(self.features, self.text_features, self.item_rows, self.slot_of, len(self.ids), list(self.ids))

    def add_items(self, table: ItemTable, features, slots: list[str]) -> ItemTable:
        """`table` with uploaded pictures (their image features, in the photo reader's `slots`) appended."""
        x = torch.as_tensor(features, dtype=torch.float32, device=table.image.device)
        s = torch.tensor([SLOTS.index(v) for v in slots], dtype=torch.long, device=table.slots.device)
        k = len(table.names) - table.n_catalog
        return ItemTable(torch.cat([table.image, x]), torch.cat([table.text, x.new_zeros(len(x), table.text.shape[1])]),
                         torch.cat([table.item, table.item.new_full((len(x),), self.unseen)]),
                         torch.cat([table.slots, s]), table.n_catalog,
                         table.names + [f"upload-{k + n}" for n in range(len(x))])

    # ------------------------------------------------------------ the model
    def embed(self, table: ItemTable, rows: torch.Tensor, hide: bool = False) -> torch.Tensor:
        """Item embeddings (image + text + item parts) of table rows; `hide` (training): drop listings and item
        embeddings at random."""
        text = self.text(table.text[rows])
        item = table.item[rows]
        if hide:
            keep = torch.rand(rows.shape, device=rows.device)
            text = text * (keep >= self.config.text_dropout)[..., None]
            item = torch.where(torch.rand(rows.shape, device=rows.device) < self.config.id_dropout, self.unseen, item)
        return self.image(table.image[rows]) + text + self.item(item)

    def predict(self, table: ItemTable, rows: torch.Tensor, pad: torch.Tensor, masked: torch.Tensor,
                hide: bool = False) -> torch.Tensor:
        """The encoder's guess (B, dim) for the item at position `masked` (B,) of B padded outfits of table rows."""
        x = self.embed(table, rows, hide)
        at = torch.arange(len(rows), device=rows.device)
        x[at, masked] = self.mask.to(x.dtype)
        x = x + self.slot(table.slots[rows])
        return self.out(self.encoder(x, src_key_padding_mask=pad)[at, masked])

    @staticmethod
    def _padded(outfits, device) -> tuple[torch.Tensor, torch.Tensor]:
        length = max(len(o) for o in outfits)
        rows = torch.zeros(len(outfits), length, dtype=torch.long)
        pad = torch.ones(len(outfits), length, dtype=torch.bool)
        for k, o in enumerate(outfits):
            rows[k, : len(o)] = torch.as_tensor(o)
            pad[k, : len(o)] = False
        return rows.to(device), pad.to(device)

    def loss(self, batch) -> torch.Tensor:
        table = self.table()
        rows, pad = self._padded(batch, self.mask.device)
        n = (~pad).sum(1)
        masked = (torch.rand(len(rows), device=rows.device) * n).long()
        true = rows[torch.arange(len(rows), device=rows.device), masked]
        guess = self.predict(table, rows, pad, masked, hide=True)
        candidates = torch.cat([true, self.train_rows]).unique()  # sorted
        logits = dot(guess, self.embed(table, candidates, hide=True).T)
        return F.cross_entropy(logits, torch.searchsorted(candidates, true))

    @torch.no_grad()
    def score_rows(self, table: ItemTable, outfits, chunk: int = 1024) -> np.ndarray:
        """Compatibility of outfits given as lists of table rows: the mean over items of log Pr(item | the others),
        normalised over every row of the table."""
        every = self.embed(table, torch.arange(len(table.names), device=table.image.device))
        seqs = [(k, o, j) for k, o in enumerate(outfits) for j in range(len(o))]
        total = torch.zeros(len(outfits))
        for start in range(0, len(seqs), chunk):
            part = seqs[start:start + chunk]
            rows, pad = self._padded([o for _, o, _ in part], table.image.device)
            masked = torch.tensor([j for _, _, j in part], device=rows.device)
            logits = dot(self.predict(table, rows, pad, masked), every.T)
            true = rows[torch.arange(len(rows), device=rows.device), masked]
            logp = logits.gather(1, true[:, None])[:, 0] - torch.logsumexp(logits, 1)
            total.index_add_(0, torch.tensor([k for k, _, _ in part]), logp.cpu())
        return (total / torch.tensor([max(len(o), 1) for o in outfits])).numpy()

    def score_ids(self, outfits) -> np.ndarray:
        return self.score_rows(self.table(), [[self.rows[i] for i in o] for o in outfits])

    def validate(self, task) -> dict:
        return validation_metrics(self.score_ids, task)


class Bundle(nn.Module):
    """What `stylist train outfit_transformer` saves and the engine serves when it beats the Bi-LSTM on the valid
    split (`served`): the model and the calls `fill_in_blank` and `score_outfit`, shaped as `bilstm.Bundle`'s
    (an `ItemTable` from `table()`, uploads appended by `add_items`, rows of it)."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.model = OutfitTransformer(config)

    def set_catalog(self, wardrobe, device, own_items: bool = True) -> None:
        """Give the model the wardrobe's items (image features, listing features, slots). `own_items`: the wardrobe
        is the one the model was trained on, so the items of its training outfits have their learned embedding
        (otherwise every item is read as unseen, by its picture and listing)."""
        ids, feats = image_features(wardrobe, self.config.image_encoder, device=device)
        text_ids, text = text_features(wardrobe, self.config.text_encoder, device=device)
        if list(text_ids) != list(ids):
            raise ValueError("the image and text features do not list the items in the same order")
        trained = {i for o in wardrobe.split_outfits("train") for i in o.items} if own_items else set()
        self.model.set_catalog(ids, feats, [wardrobe.items[i].slot for i in ids], text, [i in trained for i in ids])

    @property
    def rows(self) -> dict[str, int]:
        return self.model.rows

    def table(self) -> ItemTable:
        return self.model.table()

    def add_items(self, table: ItemTable, features, slots: list[str] | None = None) -> ItemTable:
        if slots is None:
            raise ValueError("the outfit transformer needs each picture's slot (the photo reader's)")
        return self.model.add_items(table, features, slots)

    @torch.no_grad()
    def fill_in_blank(self, table: ItemTable, context: list[int], blank: int, candidates: list[int]) -> BlankAnswer:
        """The candidate rows ranked by the compatibility of `context` completed with each (best first), and the
        outfit completed with the best one, in slot order."""
        completed = [context[:blank] + [c] + context[blank:] for c in candidates]
        scores = self.model.score_rows(table, completed)
        order = sorted(range(len(scores)), key=lambda k: -scores[k])
        best = _slot_rows(completed[order[0]], table.slot_list)
        return BlankAnswer([(table.names[candidates[k]], float(scores[k])) for k in order],
                           [table.names[r] for r in best], NAME)

    @torch.no_grad()
    def score_outfit(self, table: ItemTable, rows: list[int]) -> ScoredOutfit:
        score = float(self.model.score_rows(table, [rows])[0])
        return ScoredOutfit([table.names[r] for r in _slot_rows(rows, table.slot_list)], score, NAME)


def train(wardrobe, out_dir, *, config: Config | None = None, epochs: int | None = None, device="auto") -> dict:
    """Train on the training outfits, early-stop on the valid split, save DIR/outfit_transformer.safetensors."""
    device = pick_device(device)
    config = config or Config()
    _, feats = image_features(wardrobe, config.image_encoder, device=device)
    config = replace(config, in_dim=feats.shape[1], n_items=len(wardrobe.items), epochs=epochs or config.epochs)
    seed_everything(config.seed)
    bundle = Bundle(config)
    bundle.set_catalog(wardrobe, device)
    rows = bundle.rows
    outfits = [tuple(rows[i] for i in o.items) for o in wardrobe.split_outfits("train") if len(o.items) > 1]
    bundle.model.set_training_outfits(outfits)
    valid = (wardrobe, "valid") if wardrobe.split_outfits("valid") else None
    settings = TrainConfig(epochs=config.epochs, lr=config.lr, batch_size=config.batch_size,
                           weight_decay=config.weight_decay, patience=config.patience, seed=config.seed,
                           device=str(device), metric="mean")
    history = {NAME: fit(bundle.model, outfits, settings, valid_data=valid).best}
    return checkpoints.save(out_dir, NAME, bundle, data=wardrobe.spec, fingerprint=wardrobe.fingerprint(),
                            encoders={"image": config.image_encoder, "text": config.text_encoder},
                            metrics={"valid": history})


def load(checkpoint_dir, wardrobe, device="cpu") -> Bundle:
    """The trained bundle on `device`, in eval mode, with `wardrobe` as its catalog (another wardrobe than the one
    it was trained on is read by pictures and listings alone)."""
    device = pick_device(str(device))
    record = checkpoints.entry(checkpoint_dir, NAME)
    bundle = Bundle(Config(**record["config"]))
    checkpoints.load(checkpoint_dir, NAME, bundle)
    bundle.to(device)
    bundle.set_catalog(wardrobe, device, own_items=record.get("fingerprint") == wardrobe.fingerprint())
    return bundle.eval()


def choice_figure(valid: dict) -> float | None:
    """What the served outfit model is chosen by: the mean of the valid split's FITB and FITB-hard accuracy
    (None when the record lacks them)."""
    if "fitb_accuracy" not in valid or "fitb_accuracy_hard" not in valid:
        return None
    return (valid["fitb_accuracy"] + valid["fitb_accuracy_hard"]) / 2


def served(checkpoint_dir) -> tuple[str, dict]:
    """Which outfit model answers `fill_in_blank` and `score_outfit` from `checkpoint_dir`, and why: the outfit
    transformer when the manifest has one trained on the same data as the Bi-LSTM (same fingerprint) that did
    better on the valid split (`choice_figure`, recorded at training), else the Bi-LSTM. The reason is
    {"by": ..., "valid": {name: figure}} or {"by": why there was no contest}."""
    manifest = checkpoints.read_manifest(checkpoint_dir)
    mine, lstm = manifest.get(NAME), manifest.get("bilstm")
    if mine is None:
        return "bilstm", {"by": "no outfit transformer in the checkpoints"}
    if lstm is None:
        return NAME, {"by": "no Bi-LSTM in the checkpoints"}
    if mine.get("fingerprint") != lstm.get("fingerprint"):
        return "bilstm", {"by": f"the outfit transformer was trained on other data ({mine.get('data')})"}
    figures = {name: choice_figure(manifest[name].get("metrics", {}).get("valid", {}).get(name, {}))
               for name in ("bilstm", NAME)}
    if None in figures.values():
        return "bilstm", {"by": "a model's valid FITB-hard is not recorded (retrain it)", "valid": figures}
    best = NAME if figures[NAME] > figures["bilstm"] else "bilstm"
    return best, {"by": "mean of FITB and FITB-hard accuracy on the valid split", "valid": figures}
