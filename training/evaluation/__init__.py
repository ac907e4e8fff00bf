"""Strong-generalization evaluation on the fold-in scenario of ``training.scenario``.

``scorers`` (what ranks a fold-in), ``measures`` (the masked ranking metrics and rating MAE
that training validation and the evaluation report share), ``franchise`` (relatedness to a list
from the catalog's relations: franchise share and discovery), ``tuning`` (validation sweeps of
the baselines' hyperparameters), ``variants`` (what one artifact is measured as), ``cost``
(serving latency and memory next to EASE), ``report`` (ratios to EASE, spread over seeds,
tables) and ``holdout`` (models with different corpora on the same lists). The ``evaluate``
command is ``training.evaluate``; seeds are trained by ``training.evaluate_seeds``.
"""
