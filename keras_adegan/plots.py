"""Figures of a run: ROC curves, the patterns G learned (like the paper's Fig. 4), score histograms.

Example:
    >>> plot_patterns(model.generate(8), "patterns.png")
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402


def plot_roc(scores: dict[str, np.ndarray], labels, path, title: str = "") -> None:
    """One ROC curve per score component."""
    from sklearn.metrics import roc_auc_score

    fig, ax = plt.subplots(figsize=(5, 5))
    for name, values in scores.items():
        fpr, tpr, _ = roc_curve(labels, values)
        ax.plot(fpr, tpr, label=f"{name} (AUROC {roc_auc_score(labels, values):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title=title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_patterns(samples: np.ndarray, path, caption: str = "") -> None:
    """A grid with one row per pattern: samples (n_patterns, n, H, W, C) in [-1, 1], with
    `caption` (what the reader should expect) under the title."""
    rows, cols = samples.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 0.8, rows * 0.8), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            image = (samples[r, c] + 1.0) / 2.0
            ax = axes[r, c]
            if image.shape[-1] == 1:
                ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
            else:
                ax.imshow(np.clip(image, 0, 1))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(str(r), rotation=0, labelpad=10)
    fig.suptitle("samples of G, one row per pattern z_c")
    if caption:
        fig.text(0.5, 0.005, caption, ha="center", va="bottom", fontsize=7, wrap=True)
    fig.tight_layout(rect=(0, 0.08 if caption else 0, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_score_histograms(scores: dict[str, tuple[np.ndarray, float]], labels, path,
                          title: str = "") -> None:
    """Side by side, for each named score: histograms of normal and anomalous images and the
    decision threshold. `scores` maps a title to (per-image scores, threshold)."""
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, len(scores), figsize=(6 * len(scores), 4), squeeze=False)
    for ax, (name, (values, threshold)) in zip(axes[0], scores.items()):
        values = np.asarray(values)
        bins = np.histogram_bin_edges(values, bins=50)
        ax.hist(values[labels == 0], bins=bins, alpha=0.6, density=True, label="normal")
        ax.hist(values[labels == 1], bins=bins, alpha=0.6, density=True, label="anomalous")
        ax.axvline(threshold, color="black", linestyle="--",
                   label="threshold (5% FPR on validation)")
        ax.set(xlabel=name, ylabel="density", title=title)
        ax.legend(loc="upper right", fontsize=8)  # "best" warns on large sets
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
