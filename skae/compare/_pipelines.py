"""The contenders: reducers that learn from unlabeled images, and classifiers."""

from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skae._transformer import AutoencoderTransformer

REDUCERS = ("raw", "pca", "autoencoder")
CLASSIFIERS = ("svc", "rf", "logreg")


def make_reducer(name, n_components, *, epochs, device, random_state, verbose=0):
    """A fresh, unfitted reducer; ``"raw"`` (the pixels themselves) gives None.

    ``epochs``, ``device`` and ``verbose`` are the autoencoder's ``max_iter``,
    ``device`` and ``verbose``. The autoencoder trains exactly ``epochs``
    epochs (``tol=0``), so that every run of a comparison gets the same budget:
    the default ``tol=1e-4`` is coarse for pixel MSE (losses near 0.01) and
    stopped a 30-epoch Fashion-MNIST fit after 18 epochs.
    """
    if name == "raw":
        return None
    if name == "pca":
        return PCA(n_components=n_components, random_state=random_state)
    if name == "autoencoder":
        return AutoencoderTransformer(
            n_components=n_components,
            max_iter=epochs,
            tol=0.0,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )
    raise ValueError(f"reducer={name!r} is not one of {REDUCERS}.")


def make_classifier(name, *, random_state, n_jobs):
    """A fresh, unfitted classifier.

    The SVC uses the settings of the Fashion-MNIST paper's best raw-pixel SVC
    (arXiv:1708.07747): RBF kernel, C=10. Logistic regression standardizes its
    input first, so that it converges on codes of any scale.
    """
    if name == "svc":
        return SVC(C=10, kernel="rbf")
    if name == "rf":
        return RandomForestClassifier(n_estimators=100, n_jobs=n_jobs, random_state=random_state)
    if name == "logreg":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    raise ValueError(f"classifier={name!r} is not one of {CLASSIFIERS}.")
