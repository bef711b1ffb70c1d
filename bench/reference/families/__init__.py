"""One module per model family, mirroring packages/core/src/models/families; hf_reference.py dispatches."""
