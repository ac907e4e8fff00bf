"""The second stage: a learned re-ranker of the first stage's top titles (NumPy only).

``tables`` (what it knows of each title, its fitted scorer, the ``rerank.npz`` file),
``features`` (one list's candidate features and the re-ranked logits) and ``apply`` (a serving
pass re-ranked). Fitted by ``python -m training fit-rerank`` (``training.rerank``).
"""
