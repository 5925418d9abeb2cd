"""Shared fixtures: a small studio wardrobe built once per test session (seconds, not minutes), and one
feature cache per run.

Tests never touch the user's cache: unless STYLIST_CACHE is set, the run makes one folder
(`stylist-test-cache-*` in the temp dir) that every test, and every process a test starts, shares, so
the builtin catalog is encoded at most once per run; the folder is removed when the run ends. A
STYLIST_CACHE set beforehand is used as it is and kept (a warm cache for repeated runs).
"""
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def pytest_configure(config):
    if "STYLIST_CACHE" not in os.environ:
        config.stylist_cache = tempfile.mkdtemp(prefix="stylist-test-cache-")
        os.environ["STYLIST_CACHE"] = config.stylist_cache


def pytest_unconfigure(config):
    made = getattr(config, "stylist_cache", None)
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)
        if os.environ.get("STYLIST_CACHE") == made:
            del os.environ["STYLIST_CACHE"]

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SMALL = dict(n_items=240, n_outfits=400, n_users=30, seed=7)


@pytest.fixture(scope="session")
def small_config() -> dict:
    """The small wardrobe's WorldConfig arguments (tests import fixtures, never conftest itself)."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory) -> Path:
    from stylist_app.data.builtin import WorldConfig, build_to_dir

    return build_to_dir(WorldConfig(**SMALL), tmp_path_factory.mktemp("small") / "wardrobe")


MEDIUM = dict(n_items=600, n_outfits=1200, n_users=60, seed=3)


@pytest.fixture(scope="session")
def medium_config() -> dict:
    """A wardrobe big enough for shoppers' statistics (dozens of likes each), built without pictures."""
    return dict(MEDIUM)


@pytest.fixture(scope="session")
def medium_dir(tmp_path_factory) -> Path:
    import stylist_app.data.builtin as builtin

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtin, "_render_all", lambda *a, **k: None)  # statistics need no pictures
        return builtin.build_to_dir(builtin.WorldConfig(**MEDIUM), tmp_path_factory.mktemp("medium") / "wardrobe")


@pytest.fixture(scope="session")
def medium_wardrobe(medium_dir):
    from stylist_app.data import load

    return load(f"builtin:{medium_dir}")


@pytest.fixture(scope="session")
def small_wardrobe(small_dir):
    from stylist_app.data import load

    return load(f"builtin:{small_dir}")


@pytest.fixture(scope="session")
def add_small_reader(small_wardrobe):
    """add_small_reader(DIR): a tiny photo reader, trained on the small wardrobe's pictures, saved into DIR beside
    the models a test trained there (an engine reads every uploaded picture with it)."""
    from stylist_app.models import reader

    def add(directory):
        reader.train(small_wardrobe, directory, device="cpu", config=reader.Config(views=1, epochs=4, hidden=64))
        return directory

    return add


@pytest.fixture
def no_network(monkeypatch):
    """Fail any attempt to open a network connection."""

    def refuse(*args, **kwargs):
        raise OSError("network access is blocked in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def app_url():
    """(url, engine) of the app serving the shipped checkpoints on the builtin wardrobe at 127.0.0.1."""
    from stylist_app.engine import StylistEngine
    from stylist_app.ui import CSS, THEME, build_app

    checkpoints = Path(__file__).resolve().parents[1] / "checkpoints"
    engine = StylistEngine.from_checkpoints(checkpoints, data="builtin", device="cpu")
    app = build_app("builtin", str(checkpoints), engine=engine)
    app.queue(default_concurrency_limit=4)
    _, url, _ = app.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True,
                           theme=THEME, css=CSS)
    yield url, engine
    app.close()
