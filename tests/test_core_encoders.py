"""Encoders load from local files only and give the features they promise."""
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import stylist_app  # noqa: F401  (torchvision compat before timm)
from stylist_app.models.encoders import (BagOfWords, build_vocab, lite0_imagenet_state_dict, make_image_encoder,
                                         make_text_encoder)

TEMPLE = Path(__file__).parent / "data" / "china.jpg"  # scikit-learn's sample photo, CC BY 2.0 (tests/data/README.md)


def _pictures(n=2, size=224):
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (size, size + 30, 3), dtype=np.uint8)) for _ in range(n)]


@pytest.fixture(scope="module")
def effnet():
    return make_image_encoder("effnet-lite0")


@pytest.fixture(scope="module")
def minilm():
    return make_text_encoder("minilm")


def test_effnet_weights_map_onto_timm_and_classify():
    import timm

    net = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000).eval()
    result = net.load_state_dict(lite0_imagenet_state_dict(net), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    enc = make_image_encoder("effnet-lite0")
    with torch.no_grad():
        p = net(enc.preprocess([Image.open(TEMPLE)])).softmax(-1)[0]
    assert p.argmax().item() == 442 and p[442] > 0.3  # ImageNet class "bell cote" (a temple roof), confidently


def test_effnet_features(effnet):
    with torch.no_grad():
        f = effnet(effnet.preprocess(_pictures()))
    assert f.shape == (2, 1280) and f.dtype == torch.float32 and torch.isfinite(f).all()
    assert not any(p.requires_grad for p in effnet.parameters())
    effnet.train()
    assert not effnet.net.training  # frozen BatchNorm statistics stay put
    effnet.eval()


def test_minilm_sentence_vectors(minilm):
    with torch.no_grad():
        v = minilm(["red dress", "crimson gown", "hiking boots"])
    assert v.shape == (3, 384)
    assert torch.allclose(v.norm(dim=1), torch.ones(3), atol=1e-4)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 2]


def test_hf_clip_from_local_directory(tmp_path):
    from transformers import CLIPConfig, CLIPModel

    cfg = CLIPConfig(text_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=4,
                                      vocab_size=99, max_position_embeddings=16, bos_token_id=0, eos_token_id=1,
                                      pad_token_id=1),
                     vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                                        num_attention_heads=4, image_size=32, patch_size=8),
                     projection_dim=24)
    torch.manual_seed(0)
    CLIPModel(cfg).save_pretrained(tmp_path)
    enc = make_image_encoder(f"hf:{tmp_path}")
    assert enc.dim == 24 and enc.image_size == 32
    with torch.no_grad():
        f = enc(enc.preprocess(_pictures(3, 40)))
    assert f.shape == (3, 24) and torch.isfinite(f).all()


def test_hf_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="hf:"):
        make_image_encoder(f"hf:{tmp_path / 'nothing'}")


def test_thumbnail_is_fixed():
    thumb = make_image_encoder("thumbnail")
    f = thumb(thumb.preprocess([Image.new("RGB", (64, 64), (255, 0, 0))]))
    assert f.shape == (1, 192) and f[0, :64].min() > 0.95 and f[0, 64:].max() < -0.95  # red: R=+1, G=B=-1


def test_bag_of_words_vocab_and_unknown_words():
    texts = ["Red cotton dress", "red silk dress", "blue dress", "red denim"]
    vocab = build_vocab(texts, min_count=2)
    assert vocab == ["dress", "red"]
    enc = make_text_encoder("bow", vocab=vocab, dim=8)
    assert isinstance(enc, BagOfWords)
    out = enc(["red dress", "plaid trousers", "DRESS"])
    assert out.shape == (3, 8)
    assert torch.all(out[1] == 0)  # no known word: the zero vector
    assert torch.allclose(out[0], (enc.embed.weight[0] + enc.embed.weight[1]) / 2)


def test_unknown_encoder_names():
    with pytest.raises(ValueError, match="effnet-lite0"):
        make_image_encoder("resnet")
    with pytest.raises(ValueError, match="minilm"):
        make_text_encoder("glove")


def test_no_network_needed(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    image = make_image_encoder("effnet-lite0")
    text = make_text_encoder("minilm")
    with torch.no_grad():
        assert image(image.preprocess(_pictures(1))).shape == (1, 1280)
        assert text(["a linen shirt"]).shape == (1, 384)
