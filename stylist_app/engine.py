"""StylistEngine: one device, every trained model, every index; what the UI and the CLI call.

`StylistEngine.from_checkpoints(DIR, data=SPEC, device="auto")` picks the device, loads the
Wardrobe and every model in `DIR/manifest.json` that the registry can load
(`models/registry.py`: each model module's `load(dir, wardrobe, device)`). Catalog features and
item vectors come from `DIR/catalog/` when it ships them for this catalog and these weights
(`features.ship_from`), else from the feature cache, else they are computed and cached; they and
the faiss indices are built on first use and kept (`image_features`, `text_features`, `cached`;
`warm_up` builds them all ahead of the first calls);
each kept value has its own lock, so many threads may call the engine at once and a slow first
build (a catalog's features: minutes) holds up only the calls that need that value. Model calls
run inside `self.inference()` (torch.inference_mode); the pre-trained encoders run their own bf16
autocast on CUDA, so scores are float32 on every device.

Where the models plug in (each a thin method: fetch `self.model(name)`, run under
`self.inference()`, batch, return plain dataclasses; DESIGN.md "Engine" gives the contracts):
- reader:      read(image) -> Reading; every call that takes a picture reads it first and accepts a corrected
               reading (`reading=` / `readings=`: a Reading, or a dict of corrections to the one read)
- akd:         complete(top_image_or_id, k, text=None, category=None); explain(top, bottom)
- bilstm:      build_outfit(images=[...], text=None, length=None); fitb_question(seed=None)
- bilstm or outfit_transformer (the better on valid, `outfit_scorer`): fill_in_blank(...); score_outfit(...)
- dvbpr + gan: design(user or liked_items, category, n, eta, steps, seed, from_item=None)
- fnd:         recommend_outfits(user, k, model="student"|"teacher")
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict
import hashlib
import logging
import random
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import torch
from PIL import Image
from torch import nn

from stylist_app.checkpoints import CheckpointError, read_manifest, rebuild_hint
from stylist_app.data.schema import Wardrobe
from stylist_app.data.tasks import FITBQuestion, fitb_questions
from stylist_app.errors import BadInput
from stylist_app import features
from stylist_app.features import image_features, text_features
from stylist_app.models.akd import BottomMatch, PairExplanation, TopQuery
from stylist_app.models import bilstm, outfit_transformer
from stylist_app.models.bilstm import BlankAnswer, BuiltOutfit, ItemTable, ScoredOutfit, WordReading
from stylist_app.models.encoders import make_image_encoder, make_text_encoder, words
from stylist_app.models.gan import Design
from stylist_app.models.fnd import Recommendations
from stylist_app.models.reader import Reading, catalog_readings, on_white, too_small
from stylist_app.models.registry import MODELS
from stylist_app.train import pick_device

log = logging.getLogger("stylist")


@contextlib.contextmanager
def phase(what: str):
    """Print one line to stderr when the block ends: what was done and how long it took, e.g.
    "stylist: model akd loaded in 0.4 s". Words appended to the yielded list are added in brackets."""
    said: list[str] = []
    t0 = time.perf_counter()
    yield said
    print(f"stylist: {what} in {time.perf_counter() - t0:.1f} s" + (f" ({'; '.join(said)})" if said else ""),
          file=sys.stderr, flush=True)


class _Kept:
    """One kept value of `StylistEngine.cached`, with the lock its build holds (re-entrant: a build may ask for
    other keys, and asking for its own key again fails loudly with a RecursionError rather than hanging)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.done = False
        self.value = None


class StylistEngine:
    def __init__(self, wardrobe: Wardrobe, checkpoint_dir: str | Path, device: torch.device,
                 models: dict[str, nn.Module], skipped: dict[str, str]):
        self.wardrobe = wardrobe
        self.checkpoint_dir = Path(checkpoint_dir)
        self.device = device
        self.models = models
        self.skipped = skipped  # manifest entries not loaded, with the reason
        self._lock = threading.Lock()  # guards the dict `_cache` only, never a build
        self._cache: dict[object, _Kept] = {}
        self._readings: OrderedDict = OrderedDict()  # the photo reader's last readings, by the pictures' pixels
        self._upload_features: OrderedDict = OrderedDict()  # the last uploads' encoder features, by encoder and pixels

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
        with phase(f"catalog {data} loaded") as said:
            wardrobe = load(data)
            said.append(f"{len(wardrobe.items):,} items, {len(wardrobe.outfits):,} outfits, {len(wardrobe.users):,} shoppers")
        features.ship_from(directory / features.SHIPPED)
        models, skipped = {}, {}
        for name in read_manifest(directory):
            spec = MODELS.get(name)
            reason = "unknown model" if spec is None else spec.unavailable(wardrobe)
            if reason is None:
                try:
                    with phase(f"model {name} loaded"):
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
        """The context every model call runs in: no autograd (the encoders choose their own precision)."""
        with torch.inference_mode():
            yield

    def cached(self, key, build: Callable[[], object]):
        """`build()` on the first call for `key` (e.g. a faiss index), the kept result afterwards.

        Threads asking for the same key wait for one build; other keys are not held up by it. A build
        that raises keeps nothing, so the next call tries again.
        """
        with self._lock:
            kept = self._cache.setdefault(key, _Kept())
        with kept.lock:
            if not kept.done:
                kept.value, kept.done = build(), True
        return kept.value

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

    def warm_up(self) -> None:
        """Build ahead of the first calls what each tab's first call needs and keeps: the item vectors, tables and
        indices of every loaded model, the rule overview, and the pre-trained encoders uploads go through (each
        built under its own lock, so a call that needs one meanwhile waits for it, never builds it twice)."""
        if "gan" in self.models:  # the discriminator's frozen effnet-lite0, built outside inference mode: design
            self.models["gan"].discriminator.backbone(self.device)  # back-propagates through it
        with phase("first calls prepared"), self.inference():
            if "akd" in self.models:  # the encoders first: an upload's first call needs them, and they take longest
                akd = self.models["akd"]
                self.pretrained_encoder("image", akd.config.image_encoder)
                self.pretrained_encoder("text", akd.config.text_encoder)
                akd.index("bottoms"), akd.index("tops")
                with contextlib.suppress(BadInput):  # a catalog without test pairs: the tab says so when asked
                    self.rule_overview("test")
            if "reader" in self.models:  # the ImageNet head it reads "worn or not" with, and the effnet it reads with
                self.pretrained_encoder("image", self.models["reader"].config.image_encoder)
                self.models["reader"].wearable(torch.zeros(1, 1280, device=self.device))
            if "bilstm" in self.models:
                self.catalog_readings()
                self.models["bilstm"].terms()  # what the listings' words name, for the words' gate (0.7 s)
                self.outfit_table()
                self.outfit_table(self.outfit_scorer())
                self.pretrained_encoder("image", self.models["bilstm"].config.image_encoder)
            if "fnd" in self.models:
                for which in ("student", "teacher"):
                    self.fnd_item_vectors(which)
                    self.models["fnd"].params(which)
            if "dvbpr" in self.models:
                self.models["dvbpr"].item_vectors()

    # ---------------------------------------------------------------- catalog search
    def search(self, text: str | None = None, slot: str | None = None) -> list[tuple[str, float]]:
        """Catalog items (of `slot`, or all), closest in meaning to `text` first: the cosine between MiniLM's
        embedding of `text` and of each item's title and description (the catalog's text features, computed
        once). Without text, every item of the slot in catalog order, with score 0."""
        ids = [i for i, it in self.wardrobe.items.items() if slot in (None, "all") or it.slot == slot]
        text = (text or "").strip()
        if not text:
            return [(i, 0.0) for i in ids]

        def table():
            all_ids, x = self.text_features("minilm")
            return {i: n for n, i in enumerate(all_ids)}, torch.nn.functional.normalize(torch.as_tensor(x).float(), dim=-1)

        rows, vectors = self.cached(("search", "minilm"), table)
        with self.inference():
            query = torch.nn.functional.normalize(self.pretrained_encoder("text", "minilm")([text]).float().cpu(), dim=-1)
            scores = (vectors[[rows[i] for i in ids]] @ query[0]).tolist()
        return sorted(zip(ids, scores), key=lambda p: -p[1])

    # ---------------------------------------------------------------- reader: what an uploaded picture shows
    @staticmethod
    def _pixels_key(image: Image.Image) -> tuple:
        return image.size, hashlib.sha1(image.tobytes()).hexdigest()

    def _remember(self, kept: OrderedDict, key, value) -> None:
        """Keep `value` in one of the upload memories (the last 256 uploads, not every one of a long session)."""
        with self._lock:
            kept[key] = value
            while len(kept) > 256:
                kept.popitem(last=False)

    def _image_features(self, pictures: list[Image.Image], encoder: str = "effnet-lite0") -> torch.Tensor:
        """(B, dim) features of uploaded RGB pictures under a pre-trained image encoder. An upload is encoded once
        for the reader and the model that answers (kept by its pixels), not once for each."""
        keys = [(encoder, *self._pixels_key(p)) for p in pictures]
        with self._lock:
            found = {k: self._upload_features[k] for k in keys if k in self._upload_features}
        missing = [(k, p) for k, p in zip(keys, pictures) if k not in found]
        if missing:
            image = self.pretrained_encoder("image", encoder)
            with self.inference():
                new = image(image.preprocess([p for _, p in missing]).to(self.device)).float()
            for (k, _), f in zip(missing, new):
                found[k] = f
                self._remember(self._upload_features, k, f)
        return torch.stack([found[k] for k in keys])

    def read(self, image, reading: Reading | dict | None = None) -> Reading:
        """The photo reader's reading of a picture (slot, fine type, colour, pattern, material, each with a
        probability, or not readable with the reason). `reading`: a corrected Reading, returned as it is, or a
        dict of corrections (slot, fine_type, colour, pattern, material) applied to the one read. Readings of
        the same pixels are kept (a page asks for the same upload's reading several times)."""
        if isinstance(reading, Reading):
            return reading
        if not isinstance(image, Image.Image):
            raise BadInput(f"A picture to read must be an image, not a {type(image).__name__}.")
        image = on_white(image)
        key = self._pixels_key(image)
        with self._lock:
            read = self._readings.get(key)
        if read is None:
            reader = self.model("reader")
            read = too_small(image) or reader.read_features(
                self._image_features([image], reader.config.image_encoder), [image])[0]
            self._remember(self._readings, key, read)
        return read.correct(**reading) if reading else read

    def _readable(self, image, reading, what: str) -> Reading:
        """The picture's reading (see `read`), or BadInput with the reader's sentence when it is not readable."""
        r = self.read(image, reading)
        if not r.readable:
            raise BadInput(f"Your {what}: {r.problem}")
        return r

    # ---------------------------------------------------------------- akd: complete the look, rule attention
    def _akd_top(self, top, text: str | None, reading=None) -> tuple[TopQuery, Reading | None]:
        """AKD-DBPR's query for a catalog top id, or an uploaded picture (read by the photo reader, encoded here;
        the rules fire on the reading's words and `text`), with the reading."""
        model = self.model("akd")
        if isinstance(top, str):
            return model.top_query(item_id=top, text=text or ""), None
        if not isinstance(top, Image.Image):
            raise BadInput(f"A top is a catalog item id or a picture, not a {type(top).__name__}.")
        r = self._readable(top, reading, "picture")
        if r.slot != "top":
            raise BadInput(f"Your picture was read as {r.words()} ({r.slot}), not a top: completing a look starts "
                           "from a top. If it is a top, correct the reading.")
        said = " ".join(w for w in (r.words(), text) if w)
        feature = self._image_features([on_white(top)], model.config.image_encoder).cpu().numpy()
        with self.inference():
            words = self.pretrained_encoder("text", model.config.text_encoder)([said]).float().cpu().numpy()
        return model.top_query(image_feature=feature, text_feature=words, text=said, category=r.fine_type), r

    def complete(self, top_image_or_id, k: int = 10, text: str | None = None,
                 category: str | None = None, reading=None) -> list[BottomMatch]:
        """Bottoms that go with a top (catalog id or PIL image), best first, with the rules that fired
        (`akd.Bundle.complete`: faiss retrieval by the student's inner product, exact rescoring with the
        rules and their confidences). `text`: words about the top (the rules fire on them too, and on an
        uploaded top's reading); `category`: only bottoms of that fine type; `reading`: a corrected reading of
        the uploaded top (see `read`). Each match carries the reading (`BottomMatch.reading`).
        """
        if k < 1:
            raise BadInput(f"Ask for at least one bottom (k was {k}).")
        model = self.model("akd")
        query, r = self._akd_top(top_image_or_id, text, reading)
        with self.inference():
            matches = model.complete(query, k, category)
        for m in matches:
            m.reading, m.like = r, query.like
        return matches

    def explain(self, top, bottom: str, text: str | None = None, reading=None) -> PairExplanation:
        """Teacher and student scores of (top, bottom); every rule with fired, polarity, confidence and
        contribution. `top` is a catalog id or a PIL image; `text`: words about the top, as given to `complete`
        and `reading` as given to it (the rules fire on them, so a pair is explained as it was ranked)."""
        model = self.model("akd")
        query, r = self._akd_top(top, text, reading)
        with self.inference():
            out = model.explain(query, bottom)
        out.reading = r
        return out

    def rule_overview(self, split: str = "test") -> list[dict]:
        """Every rule's firing count and mean confidence over the (top, bottom) pairs worn together in
        `split`'s outfits (computed once and kept): what the attention learned, across the data."""
        def build():
            model = self.model("akd")
            pairs = [(t, b) for o in self.wardrobe.split_outfits(split)
                     for t in o.items if model.slots.get(t) == "top"
                     for b in o.items if model.slots.get(b) == "bottom"]
            if not pairs:
                raise BadInput(f"The {split!r} split has no outfit with a top and a bottom.")
            with self.inference():
                return model.rule_overview([t for t, _ in pairs], [b for _, b in pairs])

        return self.cached(("akd", "overview", split), build)

    # ---------------------------------------------------------------- bilstm: outfit builder
    def outfit_table(self, name: str = "bilstm"):
        """The outfit model `name`'s table of the catalog's items (built once, kept)."""
        return self.cached((name, "table"), self.model(name).table)

    def outfit_scorer(self) -> str:
        """The outfit model that answers `fill_in_blank` and `score_outfit`: the better on the valid split of the
        Bi-LSTM and the outfit transformer (`outfit_transformer.served`), when it is loaded."""
        name, _ = self.cached(("outfit", "served"), lambda: outfit_transformer.served(self.checkpoint_dir))
        return name if name in self.models or "bilstm" not in self.models else "bilstm"

    def _outfit_items(self, items: list, readings=None, name: str = "bilstm") -> tuple:
        """(the outfit model `name`'s bundle, its item table, the items' rows, each picture's Reading or None) for
        catalog ids and PIL images.

        Pictures are read by the photo reader (`readings`: per item, None or a correction, see `read`), encoded
        with the model's image encoder and appended to the catalog's table in their read slots
        (`bilstm.Bundle.add_items`, named "upload-0", "upload-1", ...).
        """
        bundle = self.model(name)
        bad = [x for x in items if not isinstance(x, Image.Image) and not (isinstance(x, str) and x in bundle.rows)]
        if bad:
            raise BadInput(f"{bad[0]!r} is neither a catalog item id nor a picture.")
        readings = list(readings or [None] * len(items))
        if len(readings) != len(items):
            raise BadInput(f"Give one reading (or none) per item: {len(readings)} readings for {len(items)} items.")
        read = [self._readable(x, r, f"picture {n + 1}") if isinstance(x, Image.Image) else None
                for n, (x, r) in enumerate(zip(items, readings))]
        table = self.outfit_table(name)
        pictures = [on_white(x) for x in items if isinstance(x, Image.Image)]
        if pictures:
            encoded = self._image_features(pictures, bundle.config.image_encoder)
            with self.inference():
                table = bundle.add_items(table, encoded, [r.slot for r in read if r is not None])
        uploads = iter(range(table.n_catalog, len(table.names)))
        return bundle, table, [next(uploads) if isinstance(x, Image.Image) else bundle.rows[x] for x in items], read

    def catalog_readings(self) -> None:
        """Give the outfit builder the photo reader's readings of the catalog's pictures, for the items whose listing
        does not say their colour, pattern or material (`bilstm.Bundle.word_carriers`); once, from the shipped or
        cached file when there is one. Without a reader, the words' match guesses those."""
        if "reader" not in self.models or "bilstm" not in self.models:
            return

        def give() -> bool:
            reader_model = self.models["reader"]
            ids, x = self.image_features(reader_model.config.image_encoder)
            if list(ids) != list(self.wardrobe.items):
                raise ValueError("the catalog's image features do not follow its order")
            self.models["bilstm"].set_picture_readings(
                catalog_readings(reader_model, self.wardrobe, x, self.device))
            return True

        with self.inference():
            self.cached(("bilstm", "picture readings"), give)

    def read_words(self, text: str) -> WordReading:
        """Which words of `text` the outfit model knows (with what each names in the listings, `bilstm.Bundle.terms`),
        and for each one it does not, the known words nearest in
        meaning (MiniLM cosine over the model's vocabulary; the vocabulary's vectors are computed once)."""
        bundle = self.model("bilstm")
        vocab = bundle.vocabulary()
        said = list(dict.fromkeys(words(text)))
        terms = bundle.terms()
        names = {w: "; ".join(f"{key} {' or '.join(sorted(values))}" for key, values in terms[w].items())
                 for w in said if w in terms}
        if vocab is None:  # a MiniLM text side reads any word
            return WordReading(said, {}, names)
        known = set(vocab)
        unknown = [w for w in said if w not in known]
        if not unknown:
            return WordReading(said, {}, names)
        minilm = self.pretrained_encoder("text", "minilm")
        with self.inference():
            table = self.cached(("bilstm", "vocabulary vectors"),
                                lambda: torch.nn.functional.normalize(minilm(list(vocab)).float(), dim=-1))
            asked = torch.nn.functional.normalize(minilm(unknown).float(), dim=-1)
            nearest = (asked @ table.T).topk(min(3, len(vocab)), dim=-1).indices.tolist()
        return WordReading([w for w in said if w in known], {w: [vocab[k] for k in row] for w, row in zip(unknown, nearest)},
                           names)

    def build_outfit(self, images=(), text: str | None = None, length: int | None = None,
                     beam: int = 4, readings=None, words_weight: float | None = None,
                     mode: str = "decode", variety: float | None = None) -> BuiltOutfit:
        """An outfit from one or more images (catalog ids or PIL images), images + text, or text alone.

        Beam search over the catalog, one item per slot, the given items kept; with text, each candidate's
        log-probability gains `words_weight` (None: bilstm.WORDS_WEIGHT; 0: the words are ignored) x its match
        to the words (`bilstm.Bundle.word_match`), or with mode "update" each generated item is swapped for
        the one nearest f_i + v_q (the paper); `length`: number of items (None: the
        model decides). Without words, `variety` (None: bilstm.VARIETY; 0: plain beam search) keeps different
        pictures from all getting the model's favourite items (the same pictures still build the same outfit).
        Each item comes with the alternatives weighed for its position. Pictures are
        read by the photo reader (their slot; `readings`: corrections, one per image, see `read`); the
        readings come back in `BuiltOutfit.readings` (upload name -> Reading).
        """
        text = (text or "").strip() or None
        reading = self.read_words(text) if text else None
        if reading is not None and not reading.understood:
            raise BadInput(f"The outfit model knows none of these words: {reading.describe_unknown()}. "
                           "Try those, or a colour, pattern, material or garment type.")
        if words_weight is not None and not 0 <= words_weight <= 50:
            raise BadInput(f"The weight of the words must be between 0 and 50 (got {words_weight}).")
        if variety is not None and not 0 <= variety <= 5:
            raise BadInput(f"The variety must be between 0 and 5 (got {variety}).")
        bundle, table, rows, read = self._outfit_items(list(images), readings)
        if text:
            self.catalog_readings()
        if text and "encoder" not in bundle._text_side:  # the engine's MiniLM, not a second copy
            bundle._text_side["encoder"] = self.pretrained_encoder("text", "minilm")
        with self.inference():
            outfit = bundle.build_outfit(table, rows, text, length, beam, words_weight=words_weight, mode=mode,
                                         variety=variety)
        outfit.words = reading
        outfit.readings = {table.names[row]: r for row, r in zip(rows, read) if r is not None}
        return outfit

    def fill_in_blank(self, outfit, blank: int, candidates, readings=None) -> BlankAnswer:
        """The candidates ranked by the compatibility of `outfit` with each put in at position `blank`
        (0..len(outfit)), and the outfit completed with the best, by the served outfit model (`outfit_scorer`);
        items are catalog ids or PIL images (read by the photo reader; `readings`: corrections, one per item of
        outfit + candidates, see `read`)."""
        outfit, candidates = list(outfit), list(candidates)
        if not candidates:
            raise BadInput("Give at least one candidate for the blank.")
        if not 0 <= blank <= len(outfit):
            raise BadInput(f"The blank's position must be between 0 and {len(outfit)} (got {blank}).")
        bundle, table, rows, _ = self._outfit_items(outfit + candidates, readings, self.outfit_scorer())
        with self.inference():
            return bundle.fill_in_blank(table, rows[:len(outfit)], blank, rows[len(outfit):])

    def score_outfit(self, items, readings=None) -> ScoredOutfit:
        """The outfit in slot order and its compatibility by the served outfit model (`outfit_scorer`;
        `bilstm.SCORE_MEANING` says what the number is; higher is better). Items are catalog ids or PIL images
        (read by the photo reader; `readings`: corrections, one per item, see `read`)."""
        items = list(items)
        if not items:
            raise BadInput("Give at least one item to score.")
        bundle, table, rows, _ = self._outfit_items(items, readings, self.outfit_scorer())
        with self.inference():
            return bundle.score_outfit(table, rows)

    def fitb_question(self, seed: int | None = None) -> FITBQuestion:
        """A fill-in-the-blank question of the test split, drawn at random (or by `seed`). The true item is
        `candidates[0]` (`tasks.FITBQuestion`): shuffle the candidates before showing them."""
        questions = self.cached(("bilstm", "fitb questions"), lambda: fitb_questions(self.wardrobe, "test"))
        if not questions:
            raise BadInput(f"This catalog ({self.wardrobe.spec}) has no test outfits to ask a fill-in-the-blank question about.")
        return random.Random(seed).choice(questions)

    # ---------------------------------------------------------------- fnd: outfits for you
    def fnd_item_vectors(self, which: str) -> torch.Tensor:
        """The served FND "student"'s or "teacher"'s catalog item vectors (read or computed once, kept)."""
        return self.cached(("fnd", which), lambda: self.model("fnd").item_vectors(which))

    def recommend_outfits(self, user: str, k: int = 10, model: str = "student") -> Recommendations:
        """The k catalog outfits the shopper has not liked that FND's compressed student (or its teacher)
        scores highest, with the time the ranking took and the model's size.

        Item vectors are computed once per engine and kept; each call encodes and scores the
        candidate outfits (`fnd.Bundle.recommend`), which is what `ms` measures.
        """
        bundle = self.model("fnd")
        if model not in ("student", "teacher"):
            raise BadInput(f"The model is 'student' or 'teacher', not {model!r}.")
        if user not in bundle.data.user_row:
            raise BadInput(f"There is no shopper {str(user)[:60]!r} in this catalog." if user
                           else "Please choose a shopper.")
        if not isinstance(k, int) or k < 1:
            raise BadInput(f"Ask for at least one outfit, as a whole number (k was {k!r}).")
        with self.inference():
            return bundle.recommend(user, k, model, self.fnd_item_vectors(model))

    def design(self, user: str | None = None, liked_items=(), category: str | None = None, n: int = 4,
               eta: float = 1.0, steps: int = 50, seed: int = 0, from_item: str | None = None,
               progress: Callable[[int, int], None] | None = None, reach: float | None = None) -> Design:
        """`gan.Design`: n new pictures of `category` (a slot) tuned to a shopper's taste (DVBPR's theta_u),
        or to a taste fitted on the fly from `liked_items` (catalog ids), with DVBPR's preference before and
        after; with `from_item`, n variants of that item, which go at most `reach` (0-1, default
        `gan.EDIT_REACH`) away from it. `eta` weighs realism (the discriminator) against
        preference; `progress(step, total)` is called after every gradient step. A person's mistake (unknown
        shopper or item, a category that is not a slot, n / steps / eta out of range) is a BadInput. Design
        needs gradients (through G, D and DVBPR's CNN, to the latent codes only), so it runs outside
        `inference()`."""
        return self.model("gan").design(self.model("dvbpr"), user=user, liked_items=liked_items, category=category,
                                        n=n, eta=eta, steps=steps, seed=seed, from_item=from_item, progress=progress,
                                        **({} if reach is None else {"reach": reach}))
