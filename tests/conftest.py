"""Shared test setup: matplotlib draws headless (Agg), and every test's figures are closed after it.

The backend is chosen here, before any test module (or seminar_utils module) imports pyplot, so no
test file needs its own ``matplotlib.use("Agg")`` or figure-closing fixture.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test opened (pyplot keeps them alive otherwise)."""
    yield
    plt.close("all")
