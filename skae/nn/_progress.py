"""Progress reporting for the training loop: silent, one line per epoch, or a bar."""

import sys


class EpochLogger:
    """Report training progress at the level of detail ``verbose`` asks for.

    Parameters
    ----------
    verbose : int
        0 is silent. 1 prints one line per epoch (epoch, train loss,
        validation loss, seconds) to stdout, like Keras and skorch, and the
        time spent compiling on a line of its own. 2 and above
        also show a progress bar over the batches of each epoch (tqdm, on
        stderr).
    max_iter : int
        The number of epochs planned, shown as ``epoch k/max_iter``.
    """

    def __init__(self, verbose, max_iter):
        self.verbose = verbose
        self.max_iter = max_iter
        self._bar = None

    def epoch_begin(self, epoch, n_batches):
        if self.verbose >= 2:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=n_batches,
                desc=f"epoch {epoch}/{self.max_iter}",
                leave=False,
                file=sys.stderr,
            )

    def batch_end(self):
        if self._bar is not None:
            self._bar.update()

    def epoch_end(self, epoch, train_loss, validation_loss, seconds, compile_seconds=0.0):
        """Report an epoch; ``seconds`` excludes the ``compile_seconds`` spent compiling."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.verbose >= 1 and compile_seconds:
            print(f"compiling (torch.compile) took {compile_seconds:.2f}s", flush=True)
        if self.verbose >= 1:
            line = f"epoch {epoch:>4}/{self.max_iter}  train_loss {train_loss:.6f}"
            if validation_loss is not None:
                line += f"  valid_loss {validation_loss:.6f}"
            print(f"{line}  {seconds:.2f}s", flush=True)
