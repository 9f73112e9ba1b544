"""Test accuracy on Fashion-MNIST: raw pixels vs PCA vs the dense and convolutional
autoencoders, in front of SVC, random forest and logistic regression.

Three settings, all scored on the official 10,000-image test set:

- ``10k``: PCA and the autoencoders learn from all 60,000 training images,
  unlabeled; the classifiers see 1,000 labeled images per class (10,000);
- ``60k``: all 60,000 training images, all labeled;
- ``100-per-class``: PCA and the autoencoder learn from all 60,000 training
  images, unlabeled; the classifiers see 100 labeled images per class. Run
  with ``--seeds`` seeds (different labeled subsets and initialisations),
  reported as mean and standard deviation.

Each setting is one ``skae.compare.run_comparison`` call, the function behind
``skae compare``, so every pipeline of a setting sees the same split and runs
side by side, and each reducer gets the same fair pipeline as there: a
StandardScaler before the SVC on learned codes when cross-validation on the
labeled training rows prefers it. The autoencoders use ``loss="bce"``, chosen
on a validation split of the training set (``bench_validation.py``). Printed
per setting: accuracy, its difference from raw-pixel SVC in points, whether a
scaler was used, and fit time relative to raw-pixel SVC. The published raw-pixel
SVC(C=10, rbf) on all 60,000 images is 0.897 (arXiv:1708.07747, Table 3); the
``60k`` row must land within half a point of it.

    .venv/bin/python benchmarks/bench_accuracy.py                          # everything (~50 min)
    .venv/bin/python benchmarks/bench_accuracy.py --settings 10k 100-per-class
"""

import argparse
import statistics
import warnings

from _data import print_table, write_results
from sklearn.exceptions import ConvergenceWarning

from skae.compare import load_comparison_data, run_comparison

SETTINGS = {
    "10k": {"n_train": None, "labels_per_class": 1000},
    "60k": {"n_train": None, "labels_per_class": None},
    "100-per-class": {"n_train": None, "labels_per_class": 100},
}
PUBLISHED_RAW_SVC_60K = 0.897


def run_setting(name, args):
    seeds = range(args.seeds) if name == "100-per-class" else range(1)
    rows = []
    for seed in seeds:
        data = load_comparison_data(
            "fashion-mnist", random_state=seed, download_if_missing=False, **SETTINGS[name]
        )
        rows += run_comparison(
            data,
            n_components=args.n_components,
            epochs=args.epochs,
            random_state=seed,
            n_jobs=args.n_jobs,
        )
    return summarize(rows)


def summarize(rows):
    """Mean and spread over seeds, per pipeline, with ratios to raw-pixel SVC."""
    pipelines = {}
    for row in rows:
        pipelines.setdefault((row["reducer"], row["n_components"], row["classifier"]), []).append(
            row
        )
    baseline = pipelines[next(key for key in pipelines if key[0] == "raw" and key[2] == "svc")]
    baseline_accuracy = statistics.mean(r["accuracy"] for r in baseline)
    baseline_fit = statistics.median(r["fit_seconds"] for r in baseline)
    summary = []
    for (reducer, k, classifier), runs in pipelines.items():
        accuracies = [r["accuracy"] for r in runs]
        fit = statistics.median(r["fit_seconds"] for r in runs)
        summary.append(
            {
                "reducer": reducer,
                "n_components": k,
                "classifier": classifier,
                "accuracy_mean": statistics.mean(accuracies),
                "accuracy_std": statistics.stdev(accuracies) if len(runs) > 1 else 0.0,
                "points_vs_raw_svc": 100 * (statistics.mean(accuracies) - baseline_accuracy),
                "fit_seconds_median": fit,
                "fit_ratio_to_raw_svc": fit / baseline_fit,
                "predict_seconds_median": statistics.median(r["predict_seconds"] for r in runs),
                "scaled": [r["scaled"] for r in runs],
                "n_labeled": runs[0]["n_labeled"],
                "n_unlabeled": runs[0]["n_unlabeled"],
                "seeds": [r["seed"] for r in runs],
                "epochs_run": [r["epochs_run"] for r in runs],
            }
        )
    return {"runs": rows, "summary": summary}


def print_summary(name, summary):
    print(f"\n== {name}: {summary[0]['n_labeled']} labeled, {summary[0]['n_unlabeled']} unlabeled")
    print_table(
        ["pipeline", "accuracy", "pts vs raw SVC", "scaled", "fit s", "fit / raw SVC", "predict s"],
        [
            [
                f"{s['reducer']}({s['n_components']}) + {s['classifier']}",
                f"{s['accuracy_mean']:.4f}"
                + (f" ± {s['accuracy_std']:.4f}" if len(s["seeds"]) > 1 else ""),
                f"{s['points_vs_raw_svc']:+.1f}",
                "/".join("yes" if scaled else "no" for scaled in s["scaled"]),
                f"{s['fit_seconds_median']:.1f}",
                f"{s['fit_ratio_to_raw_svc']:.2f}",
                f"{s['predict_seconds_median']:.1f}",
            ]
            for s in summary
        ],
    )


def print_verdict(summary):
    """The issue's bar: does the conv autoencoder + SVC beat raw pixels and the dense one?"""
    svc = {s["reducer"]: s for s in summary if s["classifier"] == "svc"}
    if not {"raw", "autoencoder", "conv-autoencoder"} <= svc.keys():
        return
    conv = svc["conv-autoencoder"]["accuracy_mean"]
    for rival in ("raw", "autoencoder"):
        gap = 100 * (conv - svc[rival]["accuracy_mean"])
        verdict = "beats" if gap > 0 else "DOES NOT beat"
        print(f"conv-autoencoder + svc {verdict} {rival} + svc by {gap:+.1f} points")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", nargs="+", choices=SETTINGS, default=list(SETTINGS))
    parser.add_argument("--n-components", type=int, nargs="+", default=[64])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=None)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    for name in args.settings:
        try:
            result = run_setting(name, args)
        except FileNotFoundError as exc:
            raise SystemExit(f"bench_accuracy needs the real Fashion-MNIST: {exc}") from None
        print_summary(name, result["summary"])
        print_verdict(result["summary"])
        if name == "60k":
            raw_svc = next(
                s for s in result["summary"] if s["reducer"] == "raw" and s["classifier"] == "svc"
            )
            gap = 100 * (raw_svc["accuracy_mean"] - PUBLISHED_RAW_SVC_60K)
            print(f"raw-pixel SVC vs published {PUBLISHED_RAW_SVC_60K}: {gap:+.2f} points")
            result["published_raw_svc"] = PUBLISHED_RAW_SVC_60K
        write_results(
            f"accuracy_{name}",
            {"setting": name, "epochs": args.epochs, "n_components": args.n_components, **result},
        )


if __name__ == "__main__":
    main()
