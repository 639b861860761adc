"""Training of the learned cue model of quote attribution (``stancewire train quotes``); the run-time
side lives in :mod:`streams.enrich.quotes.cue_model`."""
