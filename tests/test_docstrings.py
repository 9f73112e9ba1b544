"""Every documented attribute exists after fit, and every fitted one is documented."""

import inspect
import re

import pytest

from skae import AutoencoderTransformer

from ._helpers import blobs, fast_autoencoder


def _documented(section, cls):
    doc = inspect.getdoc(cls)
    body = re.search(rf"^{section}\n-+\n(.*?)(?:^\S[^\n]*\n-+\n|\Z)", doc, re.S | re.M).group(1)
    return {match.group(1) for match in re.finditer(r"^(\w+) :", body, re.M)}


def test_documented_attributes_match_fitted_attributes():
    pd = pytest.importorskip("pandas")
    X, _ = blobs()
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = fast_autoencoder(early_stopping=True).fit(frame)
    fitted = {name for name in vars(est) if name.endswith("_") and not name.startswith("_")}
    assert fitted == _documented("Attributes", AutoencoderTransformer)


def test_documented_parameters_match_signature():
    signature = set(inspect.signature(AutoencoderTransformer).parameters)
    assert _documented("Parameters", AutoencoderTransformer) == signature
    assert set(AutoencoderTransformer._parameter_constraints) == signature
