"""`python app.py`: the Stylist demo on the builtin wardrobe (also the Hugging Face Space entry point).

Settings come from the environment: STYLIST_DATA (a --data spec), STYLIST_CHECKPOINTS (a folder),
STYLIST_DEVICE (auto | cpu | cuda; auto takes the GPU when there is one), STYLIST_HOST, PORT.
"""
import os
import sys
import time

if __name__ == "__main__":
    started = time.perf_counter()
    print("stylist: starting (importing torch and gradio)", file=sys.stderr, flush=True)
    from stylist_app.data.schema import DataError
    from stylist_app.errors import BadInput
    from stylist_app.ui import launch

    print(f"stylist: libraries imported in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    on_space = bool(os.environ.get("SPACE_ID"))
    try:
        launch(data=os.environ.get("STYLIST_DATA", "builtin"),
               checkpoints=os.environ.get("STYLIST_CHECKPOINTS", "checkpoints"),
               host="0.0.0.0" if on_space else os.environ.get("STYLIST_HOST", "127.0.0.1"),
               port=int(os.environ.get("PORT", 7860)), device=os.environ.get("STYLIST_DEVICE", "auto"))
    except (BadInput, DataError) as err:  # a wrong setting or a missing checkpoint folder: one line, exit 2
        print(f"app.py: error: {err}", file=sys.stderr)
        sys.exit(2)
