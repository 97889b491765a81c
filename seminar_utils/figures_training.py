"""Training curves of any :func:`seminar_utils.training.fit` run: one panel per term of the model's
``loss_terms``, the training and the test figures per epoch, the best epoch marked. The figures trust
their caller (a History from ``fit``): a term it does not hold fails with a ``KeyError``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["TERM_LABELS", "plot_history", "plot_runs"]

# titles of the terms the seminars' models return (any other term is titled by its name)
TERM_LABELS = {
    "loss": "loss",
    "recon": "reconstruction −log p(x | z, θ)",
    "kl": "KL(q(z | x, φ) ‖ p(z))",
    "nll": "−log p(x)",
}


def plot_history(
    history,
    title: str | None = None,
    terms: list[str] | None = None,
    labels: Mapping[str, str] | None = None,
    test_label: str | None = None,
    unit: str = "nats per example",
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """One panel per term (``terms``, default: all, ``loss`` first): train (solid) and test (dashed).

    ``history`` is a :class:`~seminar_utils.training.History`. ``labels`` titles the panels (default
    :data:`TERM_LABELS`; ``loss`` reads −ELBO for a VAE trained at β = 1); ``test_label`` names the
    held-out curve (default: the history's ``test_name``, e.g. "validation"). The best epoch (lowest test ``history.monitor``) is marked
    on every panel, unless a schedule changed the objective from epoch to epoch. Returns the Figure.
    """
    names = list(history.train) if terms is None else list(terms)
    names.sort(key=lambda name: name != "loss")
    titles = dict(TERM_LABELS)
    betas = history.settings.get("beta")
    if set(history.train) >= {"loss", "recon", "kl"}:  # a VAE: say what its loss is
        titles["loss"] = "loss = recon + β·KL" if betas and any(b != 1.0 for b in betas) else "−ELBO"
    titles.update(labels or {})
    fig, axes = plt.subplots(1, len(names), figsize=figsize or (3.7 * len(names), 3.0), squeeze=False)
    epochs = np.arange(1, len(history) + 1)
    for ax, name in zip(axes[0], names):
        ax.plot(epochs, history.train[name], label="train")
        test = history.test.get(name, [])
        if test:
            ax.plot(epochs[: len(test)], test, "--", label=test_label or history.test_name)
        if history.best_epoch is not None and history.comparable():
            ax.axvline(history.best_epoch, color="0.5", lw=0.8, ls=":", label=f"best epoch ({history.best_epoch})")
        ax.set_title(titles.get(name, name), fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel(unit)
    axes[0, 0].legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_runs(
    runs: Mapping[str, list],
    term: str = "loss",
    title: str | None = None,
    unit: str = "nats per example",
    figsize: tuple[float, float] | None = None,
    labels: Sequence[str] | None = None,
) -> Figure:
    """Several runs side by side, one panel per group of ``runs`` (e.g. ``{"MLP": [h0, h1, h2]}``,
    one History per seed): each run's training (solid) and held-out (dashed) ``term`` per epoch, in
    one colour per run, with a dot at its best epoch (the weights early stopping restored).
    ``labels`` names the runs of every group in the legend, in order (e.g. ``["seed 0", "seed 1"]``).
    The panels share the y axis so that the groups compare at a glance. Returns the Figure.
    """
    fig, axes = plt.subplots(1, len(runs), figsize=figsize or (5.2 * len(runs), 3.4), sharey=True, squeeze=False)
    for ax, (name, histories) in zip(axes[0], runs.items()):
        for i, history in enumerate(histories):
            epochs = np.arange(1, len(history) + 1)
            (line,) = ax.plot(epochs, history.train[term], lw=1.2, label=None if labels is None else labels[i])
            ax.plot(epochs, history.test[term], "--", lw=1.2, color=line.get_color())
            if history.best_epoch is not None:
                best = history.best_epoch
                ax.plot(best, history.test[term][best - 1], "o", ms=6, color=line.get_color())
        held_out = histories[0].test_name
        ax.plot([], [], "k-", lw=1.2, label="train (running mean)")
        ax.plot([], [], "k--", lw=1.2, label=held_out)
        ax.plot([], [], "ko", ms=6, label=f"best {held_out} epoch")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0, 0].set_ylabel(f"{TERM_LABELS.get(term, term) if term != 'loss' else '−ELBO'}, {unit}")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
