"""The joint stance + sentiment model: one encoder pass per sentence with every candidate marked.

* :mod:`.encoding` — a sentence and its spans as input ids with ``[E] … [/E]`` markers (shared by
  training and the run time);
* :mod:`.model` — the run time (onnxruntime + tokenizers + numpy): :class:`~.model.StanceSentimentModel`;
* :mod:`.decision` — which class a pair's reading gives (per-class decision biases);
* :mod:`.data` — the training / evaluation sentences, marked as the run time marks them;
* :mod:`.train` — fine-tuning and export (torch, transformers: the ``[train]`` extra only).

Design and figures: docs/stances.md and docs/quality.md.
"""
