"""Predicted scores: the fitted rating model's training (``fit-ratings``) and its evaluation."""
