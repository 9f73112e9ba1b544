"""Every documented attribute exists after fit, and every fitted one is documented."""

import inspect
import re

import pytest

from skae import AutoencoderTransformer, VariationalAutoencoder

from ._helpers import blobs

ESTIMATORS = [AutoencoderTransformer, VariationalAutoencoder]


def _documented(section, cls):
    doc = inspect.getdoc(cls)
    body = re.search(rf"^{section}\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M).group(1)
    return {match.group(1) for match in re.finditer(r"^\**(\w+) :", body, re.M)}


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_documented_attributes_match_fitted_attributes(cls):
    pd = pytest.importorskip("pandas")
    X, _ = blobs()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = cls(3, hidden_layer_sizes=(16,), max_iter=3, early_stopping=True, device="cpu")
    est.fit(frame)
    fitted = {name for name in vars(est) if name.endswith("_") and not name.startswith("_")}
    assert fitted == _documented("Attributes", cls)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_documented_parameters_match_signature(cls):
    parameters = inspect.signature(cls).parameters
    assert _documented("Parameters", cls) == set(parameters)
    named = {name for name, p in parameters.items() if p.kind is not p.VAR_KEYWORD}
    assert set(cls._parameter_constraints) == named


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_shared_docstring_entries_are_all_filled(cls):
    assert "{{" not in cls.__doc__
