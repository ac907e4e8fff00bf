"""Strong-generalization evaluation: the fold-in scenario, scorers, measures and tuning sweeps.

``scenario`` (held-out users, 80% fold-in / 20% predicted), ``scorers`` (what ranks a fold-in),
``measures`` (the masked ranking metrics and rating MAE that training validation and the
evaluation report share), ``franchise`` (a title heuristic for franchise hits) and ``tuning``
(validation sweeps of the baselines' hyperparameters). The ``evaluate`` command is
``training.evaluate``.
"""
