"""The two errors of skae's files: a file refused, and a file that names code to trust."""

import contextlib


class ModelFileError(ValueError):
    """A model file or checkpoint is malformed, corrupted, oversized or crafted.

    Raised by :func:`skae.load`, :func:`skae.get_untrusted_types` and a
    ``fit`` with ``checkpoint=``, whatever the bytes of the file, before
    anything is built from it. The message names the file and the problem.
    A subclass of ``ValueError``.
    """


class UntrustedTypeError(ModelFileError):
    """A file names a class or function that the caller did not trust.

    Its message lists the names; :func:`skae.get_untrusted_types` lists them
    for review, and ``skae.load(path, trusted=[...])`` accepts them.
    """


@contextlib.contextmanager
def refusals(path):
    """Turn whatever a file's bytes make fail into a :class:`ModelFileError` naming it.

    The readers raise ModelFileError themselves for every problem they
    check; this is the net under them, so that no other exception type
    escapes, whatever the bytes. ``OSError`` (the path itself cannot be
    read), ``ImportError`` (a missing extra), ``MemoryError`` and what is not
    an ``Exception`` (``KeyboardInterrupt``) pass through.
    """
    try:
        yield
    except (ModelFileError, OSError, ImportError, MemoryError):
        raise
    except Exception as exc:
        raise ModelFileError(
            f"{path} could not be read: {type(exc).__name__}: {' '.join(str(exc).split())}"
        ) from exc
