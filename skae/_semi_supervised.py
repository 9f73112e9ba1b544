"""What skae's classifiers share about unlabeled rows (labeled -1)."""

from sklearn.base import ClassifierMixin

from skae.metrics import labeled_accuracy_score


class LabeledScoreMixin(ClassifierMixin):
    """``score`` is the accuracy over the labeled rows: those labeled -1 are left out."""

    def score(self, X, y, sample_weight=None):
        """Accuracy over the labeled rows of ``y`` (rows labeled -1 are left out).

        A cross-validation split of semi-supervised data puts unlabeled rows
        in the test folds too; plain accuracy would count each as an error.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test rows.

        y : array-like of shape (n_samples,)
            True labels; -1 marks an unlabeled row.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The fraction of labeled rows predicted correctly.
        """
        return labeled_accuracy_score(y, self.predict(X), sample_weight=sample_weight)


def inner_classifier_has(method):
    """An ``available_if`` check: the (fitted, else unfitted) ``classifier`` has ``method``."""

    def check(self):
        getattr(self.classifier_ if hasattr(self, "classifier_") else self.classifier, method)
        return True

    return check
