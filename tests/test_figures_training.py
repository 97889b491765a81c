"""seminar_utils.figures_training.plot_history: one panel per term of any fit run's History."""

import numpy as np

from seminar_utils.figures_training import plot_history, plot_runs
from seminar_utils.training import History

TRAIN = {"loss": [5.0, 4.0, 3.5], "recon": [4.0, 2.5, 1.8], "kl": [1.0, 1.5, 1.7]}
TEST = {"loss": [5.1, 4.2, 4.3], "recon": [4.2, 2.7, 2.6], "kl": [0.9, 1.5, 1.7]}


def history(with_test: bool = True) -> History:
    """A VAE-like History of three epochs (the best test loss at epoch 2)."""
    h = History(train={k: list(v) for k, v in TRAIN.items()}, epoch_seconds=[1.0, 1.0, 1.0])
    if with_test:
        h.test = {k: list(v) for k, v in TEST.items()}
        h.best_epoch = 2
    return h


def curves(ax):
    """The data lines of a panel (the best-epoch marker is a vertical line at one x)."""
    return [line for line in ax.get_lines() if len(set(np.atleast_1d(line.get_xdata()))) > 1]


def test_history_panels_show_every_curve():
    fig = plot_history(history(), title="run")
    assert len(fig.axes) == 3
    for ax, key in zip(fig.axes, ("loss", "recon", "kl")):
        train, test = curves(ax)
        np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(train.get_ydata(), TRAIN[key])
        np.testing.assert_array_equal(test.get_ydata(), TEST[key])
        assert test.get_label() == "test"
    assert "KL" in fig.axes[2].get_title() and fig.get_suptitle() == "run"
    assert fig.axes[0].get_title() == "−ELBO"


def test_the_best_epoch_is_marked_on_every_panel():
    fig = plot_history(history())
    for ax in fig.axes:
        markers = [line for line in ax.get_lines() if line not in curves(ax)]
        assert len(markers) == 1 and set(markers[0].get_xdata()) == {2}
    assert "best epoch (2)" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_history_with_a_kl_weight_names_the_loss():
    h = history()
    h.settings["beta"] = [0.5, 1.0, 1.0]
    assert plot_history(h).axes[0].get_title() == "loss = recon + β·KL"
    h.settings["beta"] = [1.0, 1.0, 1.0]
    assert plot_history(h).axes[0].get_title() == "−ELBO"


def test_history_without_a_test_set_has_one_curve_per_panel():
    fig = plot_history(history(with_test=False))
    assert [len(ax.get_lines()) for ax in fig.axes] == [1, 1, 1]


def test_any_model_s_terms_get_a_panel_each_loss_first():
    h = History(train={"nll": [3.0, 2.0], "loss": [3.5, 2.5]}, test={"nll": [3.1, 2.2], "loss": [3.6, 2.6]})
    h.epoch_seconds, h.best_epoch = [1.0, 1.0], 2
    fig = plot_history(h, test_label="validation", labels={"loss": "my loss"})
    assert [ax.get_title() for ax in fig.axes] == ["my loss", "−log p(x)"]
    np.testing.assert_array_equal(curves(fig.axes[1])[0].get_ydata(), [3.0, 2.0])
    assert curves(fig.axes[0])[1].get_label() == "validation"
    assert fig.axes[0].get_title() != "−ELBO"  # not a VAE: the loss is not called an ELBO


def test_terms_chooses_the_panels():
    fig = plot_history(history(), terms=["kl", "loss"])
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "−ELBO" and "KL" in fig.axes[1].get_title()


# ----------------------------------------------------------------------------------- plot_runs
def test_runs_side_by_side_share_the_y_axis_and_mark_each_best_epoch():
    a, b = history(), history()
    b.test_name = "validation"
    fig = plot_runs({"MLP": [a, b], "conv": [history()]}, title="runs")
    assert len(fig.axes) == 2 and fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1])
    mlp_lines = [line for line in fig.axes[0].get_lines() if len(line.get_xdata())]
    assert len(mlp_lines) == 2 * 3  # train, held out and the best-epoch dot per run
    dots = [line for line in mlp_lines if len(line.get_xdata()) == 1]
    assert [(float(d.get_xdata()[0]), float(d.get_ydata()[0])) for d in dots] == [(2.0, TEST["loss"][1])] * 2
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["train (running mean)", "test", "best test epoch"]  # named after the first run
    assert fig.axes[1].get_title() == "conv"


def test_plot_runs_names_each_run_in_the_legend_when_labelled():
    fig = plot_runs({"MLP": [history(), history()], "conv": [history()]}, labels=["seed 0", "seed 1"])
    texts = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in fig.axes]
    assert texts[0] == ["seed 0", "seed 1", "train (running mean)", "test", "best test epoch"]
    assert texts[1] == ["seed 0", "train (running mean)", "test", "best test epoch"]  # a shorter group: its runs only
    labelled = [line for line in fig.axes[0].get_lines() if line.get_label() in ("seed 0", "seed 1")]
    assert [list(line.get_ydata()) for line in labelled] == [TRAIN["loss"]] * 2  # the training curves carry them


def test_the_history_names_its_held_out_curve_unless_told_otherwise():
    h = history()
    h.test_name = "validation"
    assert "validation" in [t.get_text() for t in plot_history(h).axes[0].get_legend().get_texts()]
    assert "test set" in [t.get_text() for t in plot_history(h, test_label="test set").axes[0].get_legend().get_texts()]
