"""Reporting a comparison: a text table, results.csv, results.json and a plot."""

import csv
import datetime
import itertools
import json
import os
import platform
from pathlib import Path

import numpy as np
import sklearn
import torch

import skae
from skae.compare._pipelines import CLASSIFIERS, REDUCERS

TABLE_COLUMNS = (
    ("reducer", "reducer", "{}"),
    ("n_components", "latent", "{}"),
    ("classifier", "classifier", "{}"),
    ("scaled", "scaled", "{}"),
    ("accuracy", "accuracy", "{:.4f}"),
    ("fit_seconds", "fit s", "{:.2f}"),
    ("predict_seconds", "predict s", "{:.2f}"),
)
# One marker per classifier and one colour per reducer, so every pipeline of the plot
# can be told apart; the colours follow REDUCERS, whichever reducers a run has.
MARKERS = {"svc": "o", "rf": "s", "logreg": "^", "finetuned": "*"}
OTHER_MARKERS = ("D", "v", "P", "X", "<", ">", "h")


def format_table(rows):
    """The rows as a plain-text table: reducer, latent, classifier, scaling, accuracy, times."""
    headers = [header for _, header, _ in TABLE_COLUMNS]
    cells = [[_cell(row[key], fmt) for key, _, fmt in TABLE_COLUMNS] for row in rows]
    widths = [max(len(c) for c in column) for column in zip(headers, *cells, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-" * len(lines[0]))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _cell(value, fmt):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fmt.format(value)


def environment_info():
    """Platform, CPU count and library versions, for the record of a run."""
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_num_threads": torch.get_num_threads(),
        "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "skae": skae.__version__,
    }


def _cpu_model():
    """The CPU's model name (Linux's /proc/cpuinfo), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_report(rows, output_dir, settings):
    """Write ``results.csv``, ``results.json`` and ``comparison.png`` into ``output_dir``.

    The plot is skipped when matplotlib is not installed.

    Returns
    -------
    written : dict
        The path of each file written, under the keys ``"csv"``, ``"json"``
        and ``"plot"``.
    """
    if not rows:
        raise ValueError("write_report needs at least one result row.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    csv_path = output_dir / "results.csv"
    with csv_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    json_path = output_dir / "results.json"
    record = {"settings": settings, "environment": environment_info(), "results": rows}
    json_path.write_text(json.dumps(record, indent=2) + "\n")
    written = {"csv": csv_path, "json": json_path}
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return written
    written["plot"] = output_dir / "comparison.png"
    plot_results(rows, written["plot"])
    return written


def plot_results(rows, path):
    """Plot accuracy against total time (fit + predict), one point per pipeline.

    Colours tell the reducers apart and markers the classifiers, with a legend
    for each to the right of the axes. The figure is drawn without pyplot, so
    the caller's matplotlib backend and open figures are left alone.
    """
    comparison_figure(rows).savefig(path, dpi=120)


def comparison_figure(rows):
    """The matplotlib ``Figure`` that :func:`plot_results` saves."""
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(9, 4.5), layout="constrained")
    ax = fig.subplots()
    colors = _reducer_colors(
        [row["reducer"] for row in rows], matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    )
    markers = _classifier_markers([row["classifier"] for row in rows])
    for row in rows:
        seconds = row["fit_seconds"] + row["predict_seconds"]
        ax.scatter(
            seconds,
            row["accuracy"],
            color=colors[row["reducer"]],
            marker=markers[row["classifier"]],
            s=90 if markers[row["classifier"]] == "*" else 40,  # a star looks smaller
        )
    ax.set_xscale("log")
    for (seconds, accuracy), sizes in _latent_size_labels(rows, ax).items():
        ax.annotate(
            ", ".join(sizes), (seconds, accuracy), textcoords="offset points", xytext=(4, 3),
            fontsize=7,
        )  # fmt: skip
    reducer_handles = [
        Line2D([], [], linestyle="", marker="o", markersize=7, color=color, label=name)
        for name, color in colors.items()
    ]
    classifier_handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker=marker,
            markersize=9 if marker == "*" else 6,
            color="0.35",
            label=name,
        )
        for name, marker in markers.items()
    ]
    legend_options = dict(fontsize=8, title_fontsize=8, loc="upper left", borderaxespad=0)
    reducer_legend = ax.legend(
        handles=reducer_handles,
        title="reducer (colour)",
        bbox_to_anchor=(1.02, 1),
        **legend_options,
    )
    # A legend added as an artist is clipped to the axes, which keeps constrained
    # layout from making room for it; it is not clipped when drawn anyway.
    ax.add_artist(reducer_legend).set_clip_on(False)
    ax.legend(
        handles=classifier_handles,
        title="classifier (marker)",
        bbox_to_anchor=(1.02, 0.5),
        **legend_options,
    )
    ax.set_xlabel("fit + predict time (s, log scale)")
    ax.set_ylabel("test accuracy")
    first = rows[0]
    ax.set_title(
        f"{first['dataset']}: {first['n_labeled']} labeled, {first['n_unlabeled']} unlabeled "
        f"training images (numbers: latent size)",
        fontsize=9,
    )
    return fig


def _latent_size_labels(rows, ax, closeness=0.02):
    """``{point: latent sizes}`` to write beside the points of the learned reducers.

    Points of one reducer closer than ``closeness`` of the axes (on the log
    time scale) share one label, "16, 32", instead of printing over each other.
    """
    (x0, x1), (y0, y1) = np.log10(ax.get_xlim()), ax.get_ylim()
    labels = {}
    for row in rows:
        if row["reducer"] == "raw":
            continue
        point = (row["fit_seconds"] + row["predict_seconds"], row["accuracy"])
        for (seconds, accuracy), (reducer, sizes) in labels.items():
            near_in_time = abs(np.log10(seconds / point[0])) <= closeness * (x1 - x0)
            near_in_accuracy = abs(accuracy - point[1]) <= closeness * (y1 - y0)
            if reducer == row["reducer"] and near_in_time and near_in_accuracy:
                sizes.append(str(row["n_components"]))
                break
        else:
            labels[point] = (row["reducer"], [str(row["n_components"])])
    return {point: sizes for point, (_, sizes) in labels.items()}


def _reducer_colors(reducers, palette):
    """A colour per reducer present, fixed by its place in REDUCERS, unknown ones after."""
    order = list(REDUCERS) + sorted(set(reducers) - set(REDUCERS))
    return {name: palette[i % len(palette)] for i, name in enumerate(order) if name in reducers}


def _classifier_markers(classifiers):
    """A marker per classifier present, in the order of CLASSIFIERS, unknown ones after."""
    names = [name for name in CLASSIFIERS if name in classifiers]
    names += sorted(set(classifiers) - set(names))
    unknown = (name for name in names if name not in MARKERS)
    others = dict(zip(unknown, itertools.cycle(OTHER_MARKERS)))  # noqa: B905 (cycle)
    return {name: MARKERS.get(name) or others[name] for name in names}
