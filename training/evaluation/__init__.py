"""Strong-generalization evaluation on the fold-in scenario of ``training.scenario``.

``scorers`` (what ranks a fold-in), ``measures`` (the masked ranking metrics and rating MAE
that training validation and the evaluation report share), ``franchise`` (a title heuristic for
franchise hits) and ``tuning`` (validation sweeps of the baselines' hyperparameters). The
``evaluate`` command is ``training.evaluate``.
"""
