"""Data set loaders in the style of :mod:`sklearn.datasets`."""

from skae.datasets._base import get_data_home
from skae.datasets._idx import DataFileError
from skae.datasets._mnist import fetch_fashion_mnist, fetch_mnist

__all__ = ["DataFileError", "fetch_fashion_mnist", "fetch_mnist", "get_data_home"]
