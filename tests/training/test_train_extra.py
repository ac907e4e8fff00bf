"""``python -m training`` without the ``train`` extra: one sentence, exit 2, no traceback."""

from __future__ import annotations

import pytest

import training.__main__ as entry


def _missing(name: str):
    def run(*args: object, **kwargs: object) -> int:
        raise ModuleNotFoundError(f"No module named '{name}'", name=name)

    return run


@pytest.mark.parametrize("name", ["jax", "jax.numpy", "flax.linen", "optax", "tqdm"])
def test_missing_train_extra_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    monkeypatch.setattr(entry.commands, "run", _missing(name))
    assert entry.main(["train"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "'train' extra" in err
    assert name in err


def test_other_missing_modules_still_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entry.commands, "run", _missing("pandas"))
    with pytest.raises(ModuleNotFoundError):
        entry.main(["train"])
