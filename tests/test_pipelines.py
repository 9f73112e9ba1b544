"""The autoencoder in pipelines and grid searches, where PCA would sit."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import SVC

from skae import AutoencoderTransformer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, train_size=600, test_size=400, random_state=0, stratify=y)


def _autoencoder(**params):
    return AutoencoderTransformer(
        **{"n_components": 16, "max_iter": 40, "random_state": 0, "device": "cpu", **params}
    )


@pytest.mark.parametrize(
    "classifier, min_accuracy",
    [
        (SVC(), 0.85),
        (RandomForestClassifier(n_estimators=50, random_state=0), 0.8),
        (LogisticRegression(max_iter=2000), 0.8),
    ],
    ids=["svc", "random-forest", "logistic-regression"],
)
def test_pipeline_with_classifier_learns_digits(digits, classifier, min_accuracy):
    X_train, X_test, y_train, y_test = digits
    pipe = Pipeline(
        [("scale", MinMaxScaler()), ("reduce", _autoencoder()), ("clf", classifier)]
    ).fit(X_train, y_train)
    assert pipe[:-1].transform(X_test[:2]).shape == (2, 16)
    # Chance is 0.1; a useful 16-number code keeps most of the signal.
    assert pipe.score(X_test, y_test) >= min_accuracy


def test_grid_search_over_n_components_in_parallel(digits):
    X_train, _, y_train, _ = digits
    pipe = Pipeline([("scale", MinMaxScaler()), ("reduce", _autoencoder()), ("clf", SVC())])
    grid = GridSearchCV(pipe, {"reduce__n_components": [4, 16]}, cv=2, n_jobs=2).fit(
        X_train, y_train
    )
    scores = grid.cv_results_["mean_test_score"]
    assert grid.best_params_ == {"reduce__n_components": 16}
    assert scores[1] > scores[0]
    assert grid.best_estimator_.named_steps["reduce"].n_components == 16


def test_grid_search_swaps_pca_and_autoencoder(digits):
    X_train, _, y_train, _ = digits
    pipe = Pipeline([("scale", MinMaxScaler()), ("reduce", _autoencoder()), ("clf", SVC())])
    grid = {"reduce": [PCA(), _autoencoder()], "reduce__n_components": [8, 16]}
    search = GridSearchCV(pipe, grid, cv=2, n_jobs=2).fit(X_train, y_train)
    reducers = [type(params["reduce"]).__name__ for params in search.cv_results_["params"]]
    assert sorted(reducers) == ["AutoencoderTransformer"] * 2 + ["PCA"] * 2
    assert np.all(search.cv_results_["mean_test_score"] > 0.7)
    best = search.best_estimator_.named_steps["reduce"]
    assert best.n_components == search.best_params_["reduce__n_components"]


def test_unsupervised_search_uses_score(digits):
    X_train, *_ = digits
    X_train = MinMaxScaler().fit_transform(X_train)
    search = GridSearchCV(_autoencoder(), {"n_components": [2, 24]}, cv=2).fit(X_train)
    # Reconstruction improves with a larger code: score is greater-is-better.
    assert search.best_params_ == {"n_components": 24}
    assert search.best_score_ < 0
