"""The ``skae`` command line: ``skae compare`` (also ``python -m skae compare``)."""

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

from skae.compare import format_table, load_comparison_data, run_comparison, write_report
from skae.compare._data import DATASETS
from skae.compare._pipelines import CLASSIFIERS, DEFAULT_REDUCERS, REDUCERS
from skae.datasets import DataFileError
from skae.nn._device import resolve_device
from skae.nn._precision import resolve_precision

DEFAULT_EPOCHS = {"digits": 200, "fashion-mnist": 30, "mnist": 30}

COMPARE_DESCRIPTION = """\
Does an autoencoder in front of a classifier beat the raw pixels, and at what
cost? Fits every reducer x classifier pipeline on one split and prints test
accuracy, fit and predict seconds. PCA and the autoencoder are fit on all
training images; with --labels-per-class the classifiers see only that many
labeled images per class (the label-scarce setting). Writes results.csv,
results.json and comparison.png (accuracy against time) into --output.
"""


def _integer(is_valid, requirement):
    """An argparse ``type`` accepting the integers for which ``is_valid`` holds."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid integer: {text!r}") from None
        if not is_valid(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {value}")
        return value

    return parse


_positive_int = _integer(lambda value: value >= 1, "a positive integer")
_non_negative_int = _integer(lambda value: value >= 0, "0 or more")
_n_jobs = _integer(lambda value: value != 0, "-1 (all cores) or a nonzero integer")


def _positive_int_or_auto(text):
    return text if text == "auto" else _positive_int(text)


def _add_names(parser, what, choices, default, default_text):
    """Add the option ``--what``: one or more names from ``choices``."""
    parser.add_argument(
        f"--{what}",
        nargs="+",
        choices=choices,
        default=list(default),
        metavar="NAME",
        help=f"{what}, from {{{', '.join(choices)}}} (default: {default_text})",
    )


def build_parser():
    """The argument parser of the ``skae`` command."""
    parser = argparse.ArgumentParser(
        prog="skae", description="skae: pretrain an autoencoder, then classify."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compare = commands.add_parser(
        "compare",
        help="compare raw pixels, PCA and the autoencoder in front of classifiers",
        description=COMPARE_DESCRIPTION,
    )
    compare.add_argument(
        "--dataset",
        choices=DATASETS,
        default="digits",
        help="digits is embedded; the others are fetched into --data-home (default: digits)",
    )
    compare.add_argument(
        "--n-train",
        type=_positive_int,
        metavar="N",
        help="stratified subset of the training images (default: all)",
    )
    compare.add_argument(
        "--n-test",
        type=_positive_int,
        metavar="N",
        help="stratified subset of the test images (default: all)",
    )
    compare.add_argument(
        "--labels-per-class",
        type=_positive_int,
        metavar="N",
        help="labeled training images per class (default: all labeled)",
    )
    compare.add_argument(
        "--n-components",
        type=_positive_int,
        nargs="+",
        default=[16, 32],
        metavar="K",
        help="latent sizes of PCA and the autoencoder (default: 16 32)",
    )
    _add_names(compare, "classifiers", CLASSIFIERS, CLASSIFIERS, "all")
    _add_names(
        compare, "reducers", REDUCERS, DEFAULT_REDUCERS,
        "all but vgg-autoencoder, the most accurate on images and the slowest",
    )  # fmt: skip
    compare.add_argument(
        "--device",
        default="auto",
        help="autoencoder device: auto, cpu, cuda or cuda:N (default: auto)",
    )
    compare.add_argument(
        "--precision",
        choices=("float32", "bfloat16", "float16"),
        default="float32",
        help="autoencoder precision; bfloat16 trains faster where the CPU or GPU supports "
        "it, float16 needs a GPU (default: float32)",
    )
    compare.add_argument(
        "--epochs",
        type=_positive_int,
        metavar="N",
        help="autoencoder training epochs (default: "
        + ", ".join(f"{k} {v}" for k, v in DEFAULT_EPOCHS.items())
        + ")",
    )
    compare.add_argument(
        "--finetune-epochs",
        type=_positive_int_or_auto,
        default="auto",
        metavar="N",
        help="fine-tuning epochs of the 'finetuned' classifier, or 'auto': its own budget, "
        "max_iter='auto' (default: auto)",
    )
    compare.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        help="seed of the split, the labeled subset and the models (default: 0)",
    )
    compare.add_argument(
        "--n-jobs",
        type=_n_jobs,
        default=None,
        metavar="N",
        help="parallel jobs of the random forest (default: 1)",
    )
    compare.add_argument(
        "--output",
        default="skae-results",
        metavar="DIR",
        help="folder for results.csv, results.json and comparison.png (default: skae-results)",
    )
    compare.add_argument(
        "--data-home",
        metavar="DIR",
        help="folder for downloaded data (default: $SKAE_DATA or ~/skae_data)",
    )
    compare.add_argument(
        "--no-download", action="store_true", help="fail instead of downloading a missing data set"
    )
    compare.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="autoencoder progress: -v a line per epoch, -vv also a progress bar",
    )
    return parser


def main(argv=None):
    """Run the ``skae`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    return _compare(args)


def _fail(message):
    """Exit with argparse's status for bad arguments, 2, and ``message``."""
    print(f"skae compare: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _output_problem(folder):
    """Why ``folder`` cannot receive the results, or None if it can (it need not exist yet).

    It tries what writing the results does: create the folder and a file in it.
    The probe file and the folders the probe created are removed again, so that
    a run that fails before writing its results leaves nothing behind.
    """
    # os.path.lexists: False, not an error, for a name too long; True for a broken link.
    created = [path for path in (folder, *folder.parents) if not os.path.lexists(path)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".skae-probe-"):
            pass
    except OSError as exc:
        if os.path.lexists(folder) and not os.path.isdir(folder):
            return "exists and is not a folder"
        return f"cannot create a folder and a file there ({exc.strerror or exc})"
    finally:
        for path in created:  # the deepest first
            with contextlib.suppress(OSError):
                path.rmdir()
    return None


def _compare(args):
    try:
        device = resolve_device(args.device)
        resolve_precision(args.precision, device)
    except ValueError as exc:
        _fail(str(exc))
    output = Path(args.output)
    problem = _output_problem(output)
    if problem:
        # Fail now, not after the fits, if the results cannot be written.
        _fail(f"--output {args.output}: {problem}.")
    try:
        data = load_comparison_data(
            args.dataset,
            n_train=args.n_train,
            n_test=args.n_test,
            labels_per_class=args.labels_per_class,
            random_state=args.seed,
            data_home=args.data_home,
            download_if_missing=not args.no_download,
        )
    except (OSError, DataFileError) as exc:
        print(f"skae compare: error: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        _fail(str(exc))
    n_features = data.X_train.shape[1]
    reducers = list(dict.fromkeys(args.reducers))
    classifiers = list(dict.fromkeys(args.classifiers))
    n_components = sorted(set(args.n_components))
    if set(reducers) - {"raw"} and max(n_components) > min(n_features, len(data.X_train)):
        _fail(
            f"--n-components {max(n_components)} is larger than the {n_features} features "
            f"or {len(data.X_train)} training images of {args.dataset}."
        )
    epochs = args.epochs or DEFAULT_EPOCHS[args.dataset]
    settings = {
        **vars(args),
        "reducers": reducers,
        "classifiers": classifiers,
        "n_components": n_components,
        "epochs": epochs,
        "device": str(device),
    }
    print(
        f"skae compare: {args.dataset}, {len(data.X_train)} training images "
        f"({len(data.X_labeled)} labeled), {len(data.X_test)} test images",
        file=sys.stderr,
    )
    # Progress of every kind goes to stderr; stdout gets the table alone.
    with contextlib.redirect_stdout(sys.stderr):
        rows = run_comparison(
            data,
            reducers=reducers,
            classifiers=classifiers,
            n_components=n_components,
            epochs=epochs,
            finetune_epochs=args.finetune_epochs,
            device=device,
            precision=args.precision,
            random_state=args.seed,
            n_jobs=args.n_jobs,
            verbose=args.verbose,
        )
    print(format_table(rows))
    try:
        written = write_report(rows, output, settings)
    except OSError as exc:
        print(f"skae compare: error: cannot write the results: {exc}", file=sys.stderr)
        return 1
    for path in written.values():
        print(f"wrote {path}", file=sys.stderr)
    if "plot" not in written:
        print(
            "no plot: matplotlib is not installed (pip install 'skae[plotting]')", file=sys.stderr
        )
    return 0
