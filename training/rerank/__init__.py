"""The second stage: a learned re-ranker of the graft's top candidates, fitted on cross-fitted
fold-ins (``training.rerank.crossfit``), served by ``model.rerank``."""
