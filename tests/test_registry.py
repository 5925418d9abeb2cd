"""Every registered method has the one shape `models/registry.py` writes down (`Method`), its evaluation
lives in `stylist_app.evaluate.<name>`, and no model code mentions the oracle."""
import dataclasses
import importlib
import inspect
import json
from pathlib import Path

import pytest
from torch import nn

import stylist_app
from stylist_app.checkpoints import read_manifest
from stylist_app.models.registry import CHOICES, EVALUATED_WITH, MODELS, PAPER_MODELS, Method

ROOT = Path(__file__).resolve().parents[1]
P = inspect.Parameter


def signature(fn) -> list[tuple]:
    """(name, kind, default) of each parameter."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


def test_the_registry_holds_the_paper_methods_and_the_photo_reader():
    """`all` trains and evaluates the paper methods; the reader (trained on builtin only) is named on its own."""
    assert set(MODELS) == {*PAPER_MODELS, "outfit_transformer", "reader"} and CHOICES == (*MODELS, "all")


@pytest.mark.parametrize("name", list(MODELS))
def test_method_shape(name):
    module = MODELS[name].impl()
    assert isinstance(module, Method)
    assert module.NAME == name
    assert dataclasses.is_dataclass(module.Config) and module.Config.__name__ == "Config"
    config = module.Config()
    assert module.Config(**json.loads(json.dumps(dataclasses.asdict(config)))) == config
    assert isinstance(module.Bundle, type) and issubclass(module.Bundle, nn.Module) and module.Bundle.__name__ == "Bundle"
    assert signature(module.train) == [("wardrobe", P.POSITIONAL_OR_KEYWORD, P.empty),
                                       ("out_dir", P.POSITIONAL_OR_KEYWORD, P.empty),
                                       ("config", P.KEYWORD_ONLY, None), ("epochs", P.KEYWORD_ONLY, None),
                                       ("device", P.KEYWORD_ONLY, "auto")]
    assert signature(module.load) == [("checkpoint_dir", P.POSITIONAL_OR_KEYWORD, P.empty),
                                      ("wardrobe", P.POSITIONAL_OR_KEYWORD, P.empty),
                                      ("device", P.POSITIONAL_OR_KEYWORD, "cpu")]
    assert not hasattr(module, "evaluate")


@pytest.mark.parametrize("name", list(MODELS))
def test_evaluation_lives_in_evaluate(name):
    """Each model's figures come from evaluate.<name> (the outfit transformer's from evaluate.bilstm, beside the
    other outfit models; `stylist eval outfit_transformer` says so)."""
    evaluate = importlib.import_module(f"stylist_app.evaluate.{EVALUATED_WITH.get(name, name)}").evaluate
    assert signature(evaluate) == [("wardrobe", P.POSITIONAL_OR_KEYWORD, P.empty),
                                   ("checkpoint_dir", P.POSITIONAL_OR_KEYWORD, P.empty),
                                   ("split", P.KEYWORD_ONLY, "test"), ("device", P.KEYWORD_ONLY, "auto")]


@pytest.mark.parametrize("name", list(MODELS))
def test_shipped_config_reads_back_exactly(name):
    """The manifest's config builds the method's Config, which writes back the same JSON (what checkpoints.load checks)."""
    saved = read_manifest(ROOT / "checkpoints")[name]["config"]
    config = MODELS[name].impl().Config(**saved)
    assert json.loads(json.dumps(dataclasses.asdict(config))) == saved


def test_no_model_code_mentions_the_oracle():
    models = Path(stylist_app.__file__).parent / "models"
    hits = [f"{path.relative_to(models)}:{n}" for path in sorted(models.rglob("*.py"))
            for n, line in enumerate(path.read_text().splitlines(), 1) if "oracle" in line.lower()]
    assert hits == []
