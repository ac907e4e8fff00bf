"""The model's lifecycle: putting a model live (``promote``: the one way a model goes live) and
the refresh that trains on merged sources (``training.sources``), compares and promotes only a
model that is not worse (``refresh``)."""
