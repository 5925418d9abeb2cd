"""`python app.py`: the Stylist demo on the builtin wardrobe (also the Hugging Face Space entry point)."""
import os

from stylist_app.ui import launch

if __name__ == "__main__":
    on_space = bool(os.environ.get("SPACE_ID"))
    launch(data=os.environ.get("STYLIST_DATA", "builtin"), checkpoints=os.environ.get("STYLIST_CHECKPOINTS", "checkpoints"),
           host="0.0.0.0" if on_space else os.environ.get("STYLIST_HOST", "127.0.0.1"),
           port=int(os.environ.get("PORT", 7860)))
