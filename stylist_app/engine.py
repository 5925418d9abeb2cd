"""StylistEngine: one device, every trained model, every index; what the UI and the CLI call.

`StylistEngine.from_checkpoints(DIR, data=SPEC, device="auto")` picks the device, loads the
Wardrobe and every model in `DIR/manifest.json` that the registry can load
(`models/registry.py`: each model module's `load(dir, wardrobe, device)`). Catalog features and
faiss indices are computed on first use and kept (`image_features`, `text_features`, `cached`).
Mutable state sits behind one lock, so many threads may call the engine at once; model calls run
inside `self.inference()` (torch.inference_mode, bf16 autocast on CUDA).

Where the models plug in (each a thin method: fetch `self.model(name)`, run under
`self.inference()`, batch, return plain dataclasses; DESIGN.md "Engine" gives the contracts):
- akd:         complete(top_image_or_id, k, text=None, category=None); explain(top, bottom)
- bilstm:      build_outfit(images=[...], text=None, length=None); fill_in_blank(...); score_outfit(...)
- dvbpr + gan: design(user or liked_items, category, n, eta, steps, seed, from_item=None)
- fnd:         recommend_outfits(user, k, model="student"|"teacher")
"""
from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Callable

import torch
from PIL import Image
from torch import nn

from stylist_app.checkpoints import CheckpointError, read_manifest, rebuild_hint
from stylist_app.data.schema import Wardrobe
from stylist_app.features import image_features, text_features
from stylist_app.index import ItemIndex, unit
from stylist_app.models.encoders import make_image_encoder, make_text_encoder
from stylist_app.models.registry import MODELS
from stylist_app.train import autocast, pick_device

log = logging.getLogger("stylist")


class StylistEngine:
    def __init__(self, wardrobe: Wardrobe, checkpoint_dir: str | Path, device: torch.device,
                 models: dict[str, nn.Module], skipped: dict[str, str]):
        self.wardrobe = wardrobe
        self.checkpoint_dir = Path(checkpoint_dir)
        self.device = device
        self.models = models
        self.skipped = skipped  # manifest entries not loaded, with the reason
        self._lock = threading.RLock()
        self._cache: dict = {}

    @classmethod
    def from_checkpoints(cls, directory: str | Path, data: str = "builtin", device: str = "auto",
                         threads: int | None = 1) -> StylistEngine:
        """Load the Wardrobe `data` names and every loadable model saved in `directory` (a model whose file
        does not load is skipped with the error as its reason, so the rest can be served).

        `threads` sets torch's intra-op CPU threads for the whole process (None leaves torch's
        default). One thread is the default: the engine's calls are small, and a server runs
        several at once; on a 2-core machine two threads per call were 3-100x slower under load.
        """
        from stylist_app.data import load

        if threads is not None:
            torch.set_num_threads(threads)
        directory = Path(directory)
        if not directory.is_dir():
            raise CheckpointError(f"{directory}: no checkpoint folder; train the models with: "
                                  f"stylist train all --data {data} --out {directory}")
        device = pick_device(device)
        wardrobe = load(data)
        models, skipped = {}, {}
        for name in read_manifest(directory):
            spec = MODELS.get(name)
            reason = "unknown model" if spec is None else spec.unavailable(wardrobe)
            if reason is None:
                try:
                    models[name] = spec.impl().load(directory, wardrobe, device)
                except CheckpointError as err:  # a stale or damaged file: serve the rest, say why
                    log.warning("%s", err)
                    reason = str(err)
            if reason is not None:
                skipped[name] = reason
        return cls(wardrobe, directory, device, models, skipped)

    def model(self, name: str) -> nn.Module:
        """The loaded model `name`, or a CheckpointError saying how to get it."""
        if name not in self.models:
            why = self.skipped.get(name, f"no checkpoint in {self.checkpoint_dir}")
            raise CheckpointError(f"model {name!r} is not loaded ({why}); "
                                  + rebuild_hint(self.checkpoint_dir, name, self.wardrobe.spec))
        return self.models[name]

    @contextlib.contextmanager
    def inference(self):
        """The context every model call runs in: no autograd, bf16 autocast on CUDA."""
        with torch.inference_mode(), autocast(self.device):
            yield

    def cached(self, key, build: Callable[[], object]):
        """`build()` on the first call for `key` (e.g. a faiss index), the kept result afterwards."""
        with self._lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]

    def image_features(self, encoder: str):
        """(ids, features) of the catalog's images under a pre-trained encoder (disk-cached by features.py)."""
        return self.cached(("image", encoder),
                           lambda: image_features(self.wardrobe, encoder, device=self.device))

    def text_features(self, encoder: str):
        """(ids, features) of the catalog's texts under a pre-trained text encoder."""
        return self.cached(("text", encoder),
                           lambda: text_features(self.wardrobe, encoder, device=self.device))

    def pretrained_encoder(self, kind: str, name: str) -> nn.Module:
        """The pre-trained "image" or "text" encoder `name`, built once on the engine's device (for uploads)."""
        make = make_image_encoder if kind == "image" else make_text_encoder
        return self.cached(("encoder", kind, name), lambda: make(name).to(self.device).eval())

    # ---------------------------------------------------------------- akd: complete the look, rule attention
    def _akd_top(self, top, text: str | None):
        """AKD-DBPR's query for a catalog top id or an uploaded picture (encoded on the fly, with `text` if given)."""
        model = self.model("akd")
        if isinstance(top, str):
            return model.top_query(item_id=top, text=text or "")
        if not isinstance(top, Image.Image):
            raise ValueError(f"a top is an item id or a PIL image, not {type(top).__name__}")
        image = self.pretrained_encoder("image", model.config.image_encoder)
        feature = image(image.preprocess([top]).to(self.device)).float().cpu().numpy()
        words = (self.pretrained_encoder("text", model.config.text_encoder)([text]).float().cpu().numpy()
                 if text else None)
        like, _ = self.cached(("akd", "tops"), lambda: self._top_index(model)).search(unit(feature), 1)
        return model.top_query(image_feature=feature, text_feature=words, text=text or "", like=like[0][0])

    def _top_index(self, model) -> ItemIndex:
        """The catalog's tops by cosine of their pre-trained image features: an upload's nearest catalog top."""
        ids, features = self.image_features(model.config.image_encoder)
        rows = [n for n, i in enumerate(ids) if model.slots.get(i) == "top"]
        return ItemIndex.build([ids[n] for n in rows], unit(features[rows]))

    def complete(self, top_image_or_id, k: int = 10, text: str | None = None, category: str | None = None) -> list:
        """Bottoms that go with a top (catalog id or PIL image), best first, as `akd.BottomMatch`es with the fired rules.

        AKD-DBPR's student score is an inner product <u_t, u_b>, so the faiss index over the bottoms'
        latents retrieves candidates by it; the candidates are then rescored exactly with the rules
        and their confidences. `text`: words about the top (the rules fire on them too);
        `category`: only bottoms of that fine type.
        """
        if k < 1:
            raise ValueError(f"k must be a positive number of bottoms, got {k}")
        model = self.model("akd")
        index = self.cached(("akd", "bottoms"), lambda: ItemIndex.build(*model.bottom_vectors()))
        with self.inference():
            query = self._akd_top(top_image_or_id, text)
            ids, _ = index.search(query.latent.float().cpu().numpy(), max(4 * k, 100), slot=category)
            return model.rank(query, [i for i in ids[0] if i is not None])[:k]

    def explain(self, top, bottom: str):
        """`akd.PairExplanation` of (top, bottom): teacher and student scores; every rule with fired, polarity,
        confidence and contribution. `top` is a catalog id or a PIL image."""
        with self.inference():
            return self.model("akd").explain(self._akd_top(top, None), bottom)

    def rule_overview(self, split: str = "test") -> list[dict]:
        """Every rule's firing count and mean confidence over the (top, bottom) pairs worn together in
        `split`'s outfits (computed once and kept): what the attention learned, across the data."""
        def build():
            model = self.model("akd")
            pairs = [(t, b) for o in self.wardrobe.split_outfits(split)
                     for t in o.items if model.slots.get(t) == "top"
                     for b in o.items if model.slots.get(b) == "bottom"]
            if not pairs:
                raise ValueError(f"the {split} split has no outfits with a top and a bottom")
            with self.inference():
                return model.rule_overview([t for t, _ in pairs], [b for _, b in pairs])

        return self.cached(("akd", "overview", split), build)

    # ---------------------------------------------------------------- bilstm: outfit builder
    def _outfit_items(self, items: list):
        """(Bi-LSTM, its item table, the items' rows, every row's name) for catalog ids and PIL images.

        Pictures are encoded with the model's image encoder, appended to the catalog's table
        (their slot inferred, `bilstm.OutfitLSTM.add_items`) and named "upload-0", "upload-1", ...
        """
        model = self.model("bilstm")
        bad = [x for x in items if not isinstance(x, Image.Image) and not (isinstance(x, str) and x in model.rows)]
        if bad:
            raise ValueError(f"items are catalog ids or PIL images; not {', '.join(map(repr, bad[:3]))}")
        table = self.cached(("bilstm", "table"), model.table)
        pictures = [x for x in items if isinstance(x, Image.Image)]
        names = list(model.ids) + [f"upload-{k}" for k in range(len(pictures))]
        if pictures:
            image = self.pretrained_encoder("image", model.config.image_encoder)
            table = model.add_items(table, image(image.preprocess(pictures).to(self.device)).float())
        uploads = iter(range(table.n_catalog, len(names)))
        rows = [next(uploads) if isinstance(x, Image.Image) else model.rows[x] for x in items]
        return model, table, rows, names

    def build_outfit(self, images=(), text: str | None = None, length: int | None = None, beam: int = 4):
        """`bilstm.BuiltOutfit` from one or more images (catalog ids or PIL images), images + text, or text alone.

        Beam search over the catalog, one item per slot, the given items kept; with text, each
        generated item moves towards the words (f_i + v_q); `length`: number of items (None: the
        model decides). Each item comes with the alternatives weighed for its position.
        """
        with self.inference():
            model, table, rows, names = self._outfit_items(list(images))
            steps, score = model.build(table, rows, (text or "").strip() or None, length, beam)
            from stylist_app.models.bilstm import built_outfit

            return built_outfit(steps, score, table, names, text)

    def fill_in_blank(self, outfit, blank: int, candidates):
        """`bilstm.BlankAnswer`: the candidates ranked by the compatibility of `outfit` with each put in at
        position `blank` (0..len(outfit)); items are catalog ids or PIL images."""
        outfit, candidates = list(outfit), list(candidates)
        if not candidates or not 0 <= blank <= len(outfit):
            raise ValueError(f"need candidates and a blank position in 0..{len(outfit)} (got {blank})")
        with self.inference():
            model, table, rows, names = self._outfit_items(outfit + candidates)
            context = rows[:len(outfit)]
            completed = [context[:blank] + [c] + context[blank:] for c in rows[len(outfit):]]
            scores = model.score_rows(table, completed)
        order = sorted(range(len(scores)), key=lambda k: -scores[k])
        slots = table.slot_list
        best = sorted(completed[order[0]], key=lambda r: slots[r])
        from stylist_app.models.bilstm import BlankAnswer

        return BlankAnswer([(names[rows[len(outfit) + k]], float(scores[k])) for k in order], [names[r] for r in best])

    def score_outfit(self, items):
        """`bilstm.ScoredOutfit`: the outfit in slot order and its compatibility (average forward + backward
        log-likelihood per prediction; higher is better). Items are catalog ids or PIL images."""
        items = list(items)
        if not items:
            raise ValueError("score_outfit needs at least one item")
        with self.inference():
            model, table, rows, names = self._outfit_items(items)
            score = float(model.score_rows(table, [rows])[0])
        slots = table.slot_list
        from stylist_app.models.bilstm import ScoredOutfit

        return ScoredOutfit([names[r] for r in sorted(rows, key=lambda r: slots[r])], score)

    # ---------------------------------------------------------------- fnd: outfits for you
    def recommend_outfits(self, user: str, k: int = 10, model: str = "student"):
        """`fnd.Recommendations`: the k catalog outfits the shopper has not liked that FND's compressed
        student (or its teacher) scores highest, with the time the ranking took.

        Item vectors are computed once per engine and kept; each call encodes and scores the
        candidate outfits (`fnd.FND.recommend`), which is what `ms` measures.
        """
        pair = self.model("fnd")
        net = pair.net(model)
        with self.inference():
            items = self.cached(("fnd", model), net.item_vectors)
            return pair.recommend(user, k, model, items)

    def design(self, user: str | None = None, liked_items=(), category: str | None = None, n: int = 4,
               eta: float = 1.0, steps: int = 50, seed: int = 0, from_item: str | None = None,
               progress: Callable[[int, int], None] | None = None):
        """`gan.Design`: n new pictures of `category` (a slot) tuned to a shopper's taste (DVBPR's theta_u),
        or to a taste fitted on the fly from `liked_items` (catalog ids), with DVBPR's preference before and
        after; with `from_item`, n variants of that item. `eta` weighs realism (the discriminator) against
        preference; `progress(step, total)` is called after every gradient step. Design needs gradients
        (through G, D and DVBPR's CNN, to the latent codes only), so it runs outside `inference()`."""
        from stylist_app.models.gan import design

        model = self.model("dvbpr")

        def catalog_vectors():
            with torch.no_grad():
                return model.item_vectors()

        return design(self.model("gan"), model, self.cached(("dvbpr", "item_vectors"), catalog_vectors),
                      self.wardrobe, user=user, liked_items=liked_items, category=category, n=n, eta=eta,
                      steps=steps, seed=seed, from_item=from_item, progress=progress)
