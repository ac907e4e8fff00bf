"""The model's lifecycle: training on several sources merged (``sources``), putting a model live
(``promote``: the one way a model goes live) and the refresh that trains, compares and promotes
only a model that is not worse (``refresh``)."""
