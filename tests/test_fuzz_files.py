"""Property-based fuzzing of model files: whatever the bytes, a model or a ModelFileError.

Hypothesis changes a genuine file's manifest, records and zip bytes; the
property is always the same: ``skae.load`` either returns a model whose
outputs are the genuine model's, or raises :class:`skae.ModelFileError`
(never another exception, never code run). The budgets are fixed and the
runs derandomized, so that CI sees the same examples every time; set
``SKAE_FUZZ_EXAMPLES`` to fuzz longer, with fresh examples.
"""

import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import skae
from skae import AutoencoderTransformer, ModelFileError

from ._crafting import parts_of, write

pytest.importorskip("safetensors")

FUZZ = settings(
    max_examples=int(os.environ.get("SKAE_FUZZ_EXAMPLES", 40)),
    deadline=None,
    derandomize="SKAE_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TAGS = [
    "__tuple__", "__dict__", "__tensor__", "__ndarray__", "__strings__", "__record__",
    "__partial__", "__callable__", "__float__", "__device__", "dtype", "fields", "args",
    "keywords", "type", "params", "fitted", "optimizer",
]  # fmt: skip
NAMES = ["os.system", "skae.nn._serialization.loads", "builtins.eval", "FittedConfig", "cpu"]


def json_values():
    """JSON values that look like the record's own: its tags, names and small numbers."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=True)
        | st.sampled_from(NAMES + TAGS)
        | st.text(max_size=8)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.sampled_from(TAGS) | st.text(max_size=4), children, max_size=3)
        ),
        max_leaves=12,
    )


@pytest.fixture(scope="module")
def genuine(tmp_path_factory):
    X = np.random.default_rng(0).random((40, 6)).astype(np.float32)
    model = AutoencoderTransformer(2, hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    model.fit(X)
    path = skae.save(model, tmp_path_factory.mktemp("genuine") / "model.skae")
    return path, X, model.transform(X)


def _loads_as_genuine_or_is_refused(path, X, expected):
    try:
        model = skae.load(path)
    except ModelFileError:
        return
    np.testing.assert_array_equal(model.transform(X), expected)


def _paths(value, prefix=()):
    """Every path into a JSON value, as tuples of keys and indices."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _replaced(value, path, new):
    if not path:
        return new
    head, *rest = path
    copied = dict(value) if isinstance(value, dict) else list(value)
    copied[head] = _replaced(value[head], rest, new)
    return copied


@FUZZ
@given(data=st.data())
def test_fuzzed_records_load_or_are_refused(genuine, tmp_path, data):
    path, X, expected = genuine
    manifest, parts = parts_of(path)
    record = json.loads(parts["estimators/0.json"])
    where = data.draw(st.sampled_from(list(_paths(record))), label="where")
    record = _replaced(record, where, data.draw(json_values(), label="value"))
    target = write(tmp_path / "fuzzed.skae", manifest,
                   {**parts, "estimators/0.json": json.dumps(record).encode()})  # fmt: skip
    _loads_as_genuine_or_is_refused(target, X, expected)
    assert not (tmp_path / "pwned").exists()


@FUZZ
@given(data=st.data())
def test_fuzzed_manifests_load_or_are_refused(genuine, tmp_path, data):
    path, X, expected = genuine
    manifest, parts = parts_of(path)
    key = data.draw(st.sampled_from([*manifest, "extra"]), label="key")
    manifest = {**manifest, key: data.draw(json_values(), label="value")}
    checksums = data.draw(st.booleans(), label="recompute checksums")
    target = write(tmp_path / "fuzzed.skae", manifest, parts, checksums=checksums)
    _loads_as_genuine_or_is_refused(target, X, expected)


@FUZZ
@given(data=st.data())
def test_fuzzed_zip_bytes_load_or_are_refused(genuine, tmp_path, data):
    """Bytes flipped, most often in the zip's headers and directory, where no checksum is."""
    path, X, expected = genuine
    content = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        headers = [info.header_offset + i for info in archive.infolist() for i in range(30)]
        directory = list(range(archive.start_dir, len(content)))
    positions = st.sampled_from(headers + directory) | st.integers(0, len(content) - 1)
    for position in data.draw(st.lists(positions, min_size=1, max_size=4), label="positions"):
        content[position] = data.draw(st.integers(0, 255), label="byte")
    target = tmp_path / "fuzzed.skae"
    target.write_bytes(bytes(content))
    _loads_as_genuine_or_is_refused(target, X, expected)
