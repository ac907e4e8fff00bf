"""anirec's recommender: pure model code, served with NumPy (no JAX import here).

Public API: ``from model import Recommender, ProfileEntry``.
"""

from model.profile import ProfileEntry

__all__ = ["ProfileEntry"]
