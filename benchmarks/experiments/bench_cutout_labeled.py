"""Cutout on the labeled rows with every label, on the validation split only.

A lead for the all-label defaults, measured without adding it to skae: with
every row labeled the labeled rows have no second view, and here a square of
``--side`` times the image's side (skae's ``"cutout"`` corruption) is set to
0 in each of them with probability ``--probability``, after the noise.
Everything else is ``bench_classifier_validation.py``, whose arguments
follow (the tag is required). The record goes to
``benchmarks/experiments/results/classifier_validation_<tag>.json``.

    .venv/bin/python benchmarks/experiments/bench_cutout_labeled.py --probability 0.5 \\
        --side 0.5 --labels-per-class 0 --defaults --tag defaults-full-cutout-half-labeled
"""

import argparse
import sys
from pathlib import Path

import torch

from skae.nn import _losses

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_classifier_validation  # noqa: E402
from _data import EXPERIMENT_RESULTS_DIR  # noqa: E402


def cut_labeled_rows(probability, side):
    """``ClassifierObjective._noisy`` that also cuts the labeled rows (given a clean fraction)."""
    plain = _losses.ClassifierObjective._noisy

    def noisy(objective, X, clean_fraction=0.0):
        X = plain(objective, X, clean_fraction)
        if not clean_fraction:  # a second view of unlabeled rows: left as it is
            return X
        cut = _losses.corrupt(X, "cutout", side, objective.generator, objective.image_shape)
        chosen = torch.rand(len(X), generator=objective.generator, device=X.device) < probability
        return torch.where(chosen[:, None], cut, X)

    return noisy


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probability", type=float, required=True)
    parser.add_argument("--side", type=float, required=True)
    args, rest = parser.parse_known_args()
    _losses.ClassifierObjective._noisy = cut_labeled_rows(args.probability, args.side)
    write_results = bench_classifier_validation.write_results
    bench_classifier_validation.write_results = lambda name, payload: write_results(
        name,
        {**payload, "cutout_labeled": {"probability": args.probability, "side": args.side}},
        EXPERIMENT_RESULTS_DIR,
    )
    sys.argv = [bench_classifier_validation.__file__, *rest]
    bench_classifier_validation.main()


if __name__ == "__main__":
    main()
