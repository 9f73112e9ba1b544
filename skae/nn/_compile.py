"""torch.compile with a fallback to eager execution, and the time spent compiling."""

import time
import warnings

import torch

_fallback_warned = False


class CompileWarning(UserWarning):
    """torch.compile failed; skae carries on without compiling."""


class CompiledFunction:
    """A function that runs through :func:`torch.compile`, or eagerly if compiling fails.

    Compilation is lazy: it happens in the first call, and again when a call
    brings shapes the compiled graphs do not cover. torch marks a dimension
    dynamic the second time its size changes, so the smaller last batch of an
    epoch or a new number of rows to transform costs one recompilation, not
    one per call. If a compiled call fails, the call is repeated eagerly; if
    that succeeds the failure was the compiler's (no C++ compiler, an
    unsupported platform or operation), so the function stays eager from
    then on and a :class:`CompileWarning` is issued once per process. If the
    eager call fails too, its error is the one raised.

    Parameters
    ----------
    fn : callable
        The function to compile.

    Attributes
    ----------
    compile_seconds : float
        Wall time of the calls that compiled a new graph (compilation and
        that call's own work, which is small beside it).
    """

    def __init__(self, fn):
        self.eager = fn
        self.compile_seconds = 0.0
        try:
            self._compiled = torch.compile(fn)
        except RuntimeError as exc:  # e.g. a Python version torch cannot compile for
            self._compiled = None
            _warn_fallback(exc)

    @property
    def is_compiled(self):
        """Whether calls still go through the compiled function."""
        return self._compiled is not None

    def __call__(self, *args):
        return self.apply(lambda fn: fn(*args))

    def apply(self, use):
        """Return ``use(fn)``, ``fn`` being the compiled function or, failing that, the eager one.

        ``use`` wraps the call in what must be repeated with it on a
        fallback, such as the backward pass of a training step.
        """
        if self._compiled is None:
            return use(self.eager)
        graphs = _compiled_graph_count()
        start = time.perf_counter()
        try:
            result = use(self._compiled)
        except Exception as exc:  # any compiler failure; the eager retry re-raises the caller's own
            result = use(self.eager)
            self._compiled = None
            _warn_fallback(exc)
            return result
        if _compiled_graph_count() != graphs:
            self.compile_seconds += time.perf_counter() - start
        return result


def _compiled_graph_count():
    # TorchDynamo's own count of the graphs it has compiled in this process;
    # torch has no public counter.
    return torch._dynamo.utils.counters["stats"]["unique_graphs"]


def _warn_fallback(exc):
    global _fallback_warned
    if _fallback_warned:
        return
    _fallback_warned = True
    warnings.warn(
        f"torch.compile is not available here ({type(exc).__name__}: {exc}); "
        "skae runs uncompiled instead, which gives the same results, more slowly.",
        CompileWarning,
        stacklevel=2,
    )
