"""The side channel: scores for catalog titles the network does not know (NumPy only).

* :mod:`~model.coldstart.source` – what the side channel reads of the catalog (a protocol);
* :mod:`~model.coldstart.index` – the catalog as arrays: content rows, relations, dates;
* :mod:`~model.coldstart.features` – per-title features of one profile, vectorized;
* :mod:`~model.coldstart.rowdot` – the content product over some rows, as serving sums it;
* :mod:`~model.coldstart.calibration` – the conditional-logit map onto the network's log score;
* :mod:`~model.coldstart.franchise` – sequels in their place, one slot per franchise;
* :mod:`~model.coldstart.reasons` – the explanation in words.
"""

from model.coldstart.calibration import Calibration, fit_calibration
from model.coldstart.features import ProfileFeatures, profile_features
from model.coldstart.index import TitleIndex
from model.coldstart.source import CatalogSource, RelationLike, TitleLike

__all__ = [
    "Calibration",
    "CatalogSource",
    "ProfileFeatures",
    "RelationLike",
    "TitleIndex",
    "TitleLike",
    "fit_calibration",
    "profile_features",
]
