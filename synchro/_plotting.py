"""The one plotting convention of every result's ``plot(ax=None)``: no axes given, a new figure."""

from __future__ import annotations

__all__ = ["new_axes"]


def new_axes(ax=None):
    """Return ``ax``, or the axes of a new figure when it is None.

    A new figure rather than ``plt.gca()``, so that a result never draws over
    whatever plot happens to be current in a notebook.

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax
