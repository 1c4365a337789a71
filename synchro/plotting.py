"""The presentation conventions of results and reports: every ``plot(ax=None)`` makes a new figure when no axes
are given; names from the data are shown as plain text; p-values are written one way."""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

__all__ = ["format_p", "new_axes", "plain_label", "plain_text", "strip_control"]

# Characters no text output may carry: C0/C1 controls but tab, newline and carriage return (invalid in XML 1.0,
# so in SVG; a NUL made figures unreadable), lone surrogates (unencodable as UTF-8) and the two non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def strip_control(text: str) -> str:
    """Remove the characters that XML, HTML and UTF-8 output cannot carry (tab and newlines are kept).

    Parameters
    ----------
    text : str
        Text that may hold names from an input file.

    Returns
    -------
    str
        ``text`` without control characters, lone surrogates, U+FFFE and U+FFFF.
    """
    return _CONTROL.sub("", str(text))


def plain_label(text) -> str:
    """A name from the data (population, band) as matplotlib must show it: literally.

    Matplotlib reads text between dollar signs as mathtext, so a population
    called ``$x^$`` ended the figures with a parse error; every dollar is
    escaped here, and control characters (and tabs and newlines, which no
    label needs) are removed.

    Parameters
    ----------
    text : object
        The name (converted with ``str``).

    Returns
    -------
    str
        Text for ``label=``, titles and tick labels.
    """
    return strip_control(str(text)).replace("\t", " ").replace("\n", " ").replace("\r", " ").replace("$", r"\$")


@contextmanager
def plain_text():
    """Matplotlib with LaTeX off (``text.usetex``), for the figures of reports: inside, names from the data given by
    :func:`plain_label` show literally.

    A user's matplotlibrc may turn usetex on, which hands every label to LaTeX (and ``_`` or ``%`` in a name to its
    parser).

    Yields
    ------
    None
        Inside the context, ``text.usetex`` is False; the user's setting is restored at its end.
    """
    import matplotlib

    with matplotlib.rc_context({"text.usetex": False}):
        yield


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


def format_p(value) -> str:
    """A p-value as text: three decimals, or one significant digit below 0.001; "-" when undefined.

    Parameters
    ----------
    value : float or None
        The p-value.

    Returns
    -------
    str
    """
    if value is None or not math.isfinite(value):
        return "-"
    if value == 0:  # underflow of an astronomically small p
        return "<1e-300"
    return f"{value:.3f}" if value >= 0.001 else f"{value:.0e}"
