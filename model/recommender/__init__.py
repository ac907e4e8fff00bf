"""The recommender: ranked, filtered and explained titles for MAL profiles (NumPy only).

* :mod:`~model.recommender.facade` – :class:`Recommender`, the public API;
* :mod:`~model.recommender.query` – :class:`RecommendationQuery`, the options of a request;
* :mod:`~model.recommender.ranking` – candidate filters, top-k and the returned values;
* :mod:`~model.recommender.explanations` – holdout explanations and profile insights;
* :mod:`~model.recommender.stages` – the second stage (re-ranker) and the shown predicted score;
* :mod:`~model.recommender.workers` – the threads a call runs on.

The forward passes themselves are :mod:`model.forward` (and :mod:`model.fastpath` for int8).
"""

from model.recommender.facade import DEFAULT_QUERY, Recommender
from model.recommender.query import RecommendationQuery
from model.recommender.ranking import Target
from model.recommender.workers import DEFAULT_WORKERS

__all__ = ["DEFAULT_QUERY", "DEFAULT_WORKERS", "RecommendationQuery", "Recommender", "Target"]
