"""anirec's recommender: pure model code, served with NumPy (no JAX import here).

Public API: ``from model import Recommender, ProfileEntry``; ``Recommender.load(path)`` reads an
artifact (:mod:`model.artifact`), takes a :class:`RecommendationQuery` for a request's options and
answers with the result types of :mod:`model.results`.
"""

from model.artifact import ArtifactError
from model.profile import ProfileEntry
from model.recommender import RecommendationQuery, Recommender
from model.results import Contributor, Explanation, ProfileInsights, Recommendation

__all__ = [
    "ArtifactError",
    "Contributor",
    "Explanation",
    "ProfileEntry",
    "ProfileInsights",
    "Recommendation",
    "RecommendationQuery",
    "Recommender",
]
