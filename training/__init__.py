"""Training anirec's recommender: data loading, collection, dataset building, training, evaluation.

Uses JAX/Flax/optax; the serving side (``model``) never imports this package.
"""
