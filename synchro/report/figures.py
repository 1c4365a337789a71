"""Report figures, drawn with matplotlib's object API (no pyplot state, Agg rendering) and saved as PNG and SVG.

Each figure delegates its panels to the analyses' own ``plot(ax)`` methods;
only the raster, which is no analysis, is drawn here.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core import SpikeData
from ..plotting import plain_label, plain_text

__all__ = ["FIGURES", "FORKED_FIGURES", "EARLY_FIGURES", "draw_figures", "draw_early", "save_figures",
           "import_matplotlib", "population_colors"]

#: Figures of a report, in display order, with their captions.
FIGURES = {
    "raster": "Spike raster, units coloured by population",
    "rates": "Population rates (5 ms Gaussian smoothing, for display only)",
    "spectra": "Population-rate spectra with aperiodic backgrounds, peaks marked, 95 % surrogate envelope and bands",
    "sttc": "Spike time tiling coefficients of all unit pairs",
    "coupling": "Spike-field coherence of the pooled spikes, and the field phase at spikes in each band",
    "episodes": "Wavelet power over the aperiodic background of each population, rhythm episodes outlined",
    "mechanism": "Who leads whom: cross-correlograms of two populations' rates in each band; phase-amplitude coupling",
}

#: Highest frequency shown in coherence plots (Hz).
FMAX = 200.0

#: Gaussian smoothing of the displayed population rates (s); spectra never use it.
SMOOTHING = 0.005

#: Longest stretch shown in the raster and rate plots (s): longer ones hide the rhythm.
SHOWN_SECONDS = 2.0

_COLORS = {"all": "0.2", "exc": "tab:blue", "inh": "tab:red"}
_CYCLE = ("tab:green", "tab:purple", "tab:orange", "tab:brown", "tab:pink", "tab:olive", "tab:cyan")


def population_colors(populations) -> dict[str, str]:
    """Colour of each population: exc blue, inh red, "all" dark grey, others from a fixed cycle.

    Parameters
    ----------
    populations : sequence of str
        Population names, in display order.

    Returns
    -------
    dict of str to str
        A matplotlib colour per population.
    """
    others = iter(_CYCLE * (1 + len(populations) // len(_CYCLE)))
    return {p: _COLORS.get(p) or next(others) for p in populations}


def _figure(n_rows: int, n_cols: int = 1, *, height: float = 3.0, width: float = 11.0):
    from matplotlib.figure import Figure

    # Fixed margins rather than a layout engine: constrained layout doubles the drawing time.
    fig = Figure(figsize=(width, height * n_rows))
    fig.subplots_adjust(left=0.08, right=0.97, bottom=0.5 / (height * n_rows), top=1 - 0.35 / (height * n_rows),
                        hspace=0.6 if n_rows > 1 else 0.2, wspace=0.3)
    return fig, fig.subplots(n_rows, n_cols, squeeze=False)


def _shown_window(report) -> tuple[float, float]:
    t0, t1 = report.parameters["time_window"]
    return t0, min(t1, t0 + SHOWN_SECONDS)


def _raster(report):
    data = report.data
    column = report.parameters["population_column"]
    pops = [p for p in report.populations if p != "all"]
    colors = population_colors(report.populations)
    t0, t1 = _shown_window(report)
    fig, axes = _figure(1, height=4.0)
    ax = axes[0, 0]
    keep = (data.times >= t0) & (data.times < t1)
    rows = data.unit_index
    labels = np.array([str(v) for v in data.units[column]], dtype=object) if column in data.units else None
    groups = [(p, labels[rows] == p) for p in pops] if pops else [("all", np.ones_like(keep))]
    for pop, mask in groups:
        m = keep & mask
        # Rasterised even in the SVG: 1e5 vector ticks make a file no browser opens quickly.
        ax.plot(data.times[m], rows[m], "|", ms=3, mew=1, color=colors[pop], label=plain_label(pop),
                rasterized=True)
    ax.set(xlim=(t0, t1), ylim=(-0.5, data.n_units - 0.5), xlabel="time (s)", ylabel="unit")
    if pops:
        ax.legend(loc="upper right", markerscale=3, frameon=True)
    return fig


def _rates(report):
    pops = [p for p in report.populations if ("rates", p) in report.results]
    colors = population_colors(report.populations)
    t0, t1 = _shown_window(report)
    fig, axes = _figure(1, height=3.5)
    ax = axes[0, 0]
    for pop in pops:
        rate = report.results[("rates", pop)]
        shown = (rate.times >= t0) & (rate.times < t1)
        ax.plot(rate.times[shown], rate.smoothed(SMOOTHING)[shown], color=colors[pop], lw=1,
                label=plain_label(pop))
    ax.set(xlim=(t0, t1), xlabel="time (s)", ylabel="rate (spikes/s per unit)")
    ax.legend(loc="upper right")
    return fig


def _spectra(report):
    pops = [p for p in report.panels if ("rhythms", p) in report.results]
    fig, axes = _figure(len(pops), height=3.2)
    for ax, pop in zip(axes[:, 0], pops):
        report.results[("rhythms", pop)].plot(ax=ax, fmax=FMAX)
        ax.set_title(plain_label(pop), loc="left")
    return fig


def _sttc(report):
    pop = next(p for p in report.panels if ("sttc", p) in report.results)
    fig, axes = _figure(1, height=6.0, width=7.0)
    report.results[("sttc", pop)].plot(ax=axes[0, 0])
    delta_ms = report.results[("sttc", pop)].delta_t * 1e3
    axes[0, 0].set_title(f"STTC, {plain_label(pop)} (\u0394t {delta_ms:g} ms)", loc="left")
    return fig


def _coupling(report):
    pops = [p for p in report.panels if ("coherence", p) in report.results]
    bands = list(report.parameters["bands"])
    colors = population_colors(report.panels)
    fig, axes = _figure(1, 1 + len(bands), height=3.6, width=4.0 * (1 + len(bands)))
    ax = axes[0, 0]
    for pop in pops:
        coh = report.results[("coherence", pop)]
        ax.plot(coh.freqs, coh.pooled, color=colors[pop], lw=1, label=plain_label(pop))
    ax.set(xlim=(0, FMAX), xlabel="frequency (Hz)", ylabel="spike-field coherence (pooled spikes)")
    ax.legend(loc="upper right")
    for ax, band in zip(axes[0, 1:], bands):
        for pop in pops:
            if ("phases", f"{pop}, {band}") in report.results:
                phases = report.results[("phases", f"{pop}, {band}")].phases
                ax.hist(phases, bins=36, range=(-np.pi, np.pi), density=True, histtype="step", color=colors[pop],
                        label=plain_label(pop))
        lo, hi = report.parameters["bands"][band]
        ax.set(xlim=(-np.pi, np.pi), xlabel="field phase at spikes (rad)", ylabel="density",
               title=f"{plain_label(band)} {lo:g}-{hi:g} Hz")
        ax.legend(loc="upper right", fontsize="small")
    return fig


def _episodes(report):
    pops = [p for p in report.panels if ("episodes", p) in report.results]
    # The populations' maps when there are populations ("all" mostly repeats the largest), else the whole set's.
    pops = [p for p in pops if p.rpartition(": ")[2] != "all"] or pops
    fig, axes = _figure(len(pops), height=2.6)
    for ax, pop in zip(axes[:, 0], pops):
        report.results[("episodes", pop)].plot(ax=ax)
        ax.set_title(plain_label(pop), loc="left")
    return fig


def _mechanism(report):
    lags = [key for key in report.results if key[0] == "population_lag"]
    pacs = [key for key in report.results if key[0] == "phase_amplitude_coupling"]
    fig, axes = _figure(1, len(lags) + bool(pacs), height=3.4, width=4.0 * (len(lags) + bool(pacs)))
    for ax, key in zip(axes[0], lags):
        report.results[key].plot(ax=ax)
        ax.set_title(plain_label(key[1]), loc="left", fontsize="small")
    if pacs:  # every population's phase-amplitude coupling on one axes, a line each
        ax = axes[0, -1]
        for key in pacs:
            report.results[key].plot(ax=ax, name=key[1].rpartition(", ")[0])  # the panel without its band
        ax.set_title("phase-amplitude coupling", loc="left", fontsize="small")
    return fig


_DRAW = {"raster": _raster, "rates": _rates, "spectra": _spectra, "sttc": _sttc, "coupling": _coupling,
         "episodes": _episodes, "mechanism": _mechanism}

# Which results each figure needs; a figure whose analyses were all skipped is left out.
_NEEDS = {"rates": "rates", "spectra": "rhythms", "sttc": "sttc", "coupling": "coherence", "episodes": "episodes",
          "mechanism": "population_lag"}


def _shown(report) -> list[str]:
    """Names of the figures the report's results allow, in display order."""
    kinds = {kind for kind, _pop in report.results}
    return [name for name in FIGURES if name not in _NEEDS or _NEEDS[name] in kinds]


def draw_figures(report) -> dict:
    """Draw every figure the report's results allow.

    Parameters
    ----------
    report : Report
        A report from :func:`~synchro.report.build_report`.

    Returns
    -------
    dict of str to matplotlib.figure.Figure
        By name (see :data:`FIGURES`), in display order; a figure whose
        analyses were all skipped is left out.
    """
    return {name: _DRAW[name](report) for name in _shown(report)}


#: Figures drawn by a forked child while the report's process draws the others, about half the drawing time of
#: those not drawn early (on W1: spectra and rates, 0.65 s, beside coupling, episodes and mechanism, 0.7 s).
FORKED_FIGURES = ("spectra", "rates", "raster")

#: Figures that the report's forked child draws as soon as its own analyses (the synchrony indices) are done, while
#: the report's process still computes the others: they need only the spikes and the STTC (:func:`draw_early`).
EARLY_FIGURES = ("raster", "sttc")


def import_matplotlib() -> None:
    """Import matplotlib's figure and its PNG and SVG writers (about 0.25 s): once, before a process forks, so that
    the parent and the child share them."""
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def _render(fig) -> tuple[bytes, bytes]:
    """The figure as PNG (100 dpi) and SVG bytes."""
    png, svg = io.BytesIO(), io.BytesIO()
    # Light PNG compression: files about 2 % larger, written in two thirds of the time.
    fig.savefig(png, format="png", dpi=100, pil_kwargs={"compress_level": 1})
    fig.savefig(svg, format="svg", metadata={"Date": None})
    return png.getvalue(), svg.getvalue()


@dataclass
class _Early:
    """What the early figures read of a report, before the report exists."""

    data: SpikeData
    parameters: dict
    populations: list
    results: dict = field(default_factory=dict)

    @property
    def panels(self) -> list:
        return self.populations


def draw_early(data: SpikeData, population_column: str, populations, results: dict) -> dict:
    """Draw the figures of :data:`EARLY_FIGURES` that ``results`` allow, as a report would.

    Parameters
    ----------
    data : SpikeData
        The spikes a report analyses (whole recording, no sections).
    population_column : str
        Its population column.
    populations : sequence of str
        The report's populations, ``"all"`` first.
    results : dict
        Result objects by ``(kind, population)``, as :attr:`Report.results`.

    Returns
    -------
    dict of str to (bytes, bytes)
        PNG and SVG bytes by figure name, for :func:`save_figures` (:attr:`Report.drawn`).
    """
    view = _Early(data, {"population_column": population_column, "time_window": [data.t_start, data.t_stop]},
                  list(populations), results)
    names = [name for name in _shown(view) if name in EARLY_FIGURES]
    with plain_text():
        return {name: _render(_DRAW[name](view)) for name in names}


def _save(report, folder: Path, names) -> bool:
    for name in names:
        png, svg = report.drawn.get(name) or _render(_DRAW[name](report))
        (folder / f"{name}.png").write_bytes(png)
        (folder / f"{name}.svg").write_bytes(svg)
    return True


def save_figures(report, folder) -> list[dict]:
    """Draw the figures and save each as ``<name>.png`` (100 dpi) and ``<name>.svg`` in ``folder``.

    Figures the report's second process drew already (:attr:`Report.drawn`,
    see :func:`~synchro.report.build_report`'s ``figures``) are written as
    they are. Where a process can fork (Linux, two cores), a forked child
    draws some of the others (:data:`FORKED_FIGURES`) while this process
    draws the rest; if the child fails, this process draws its figures too.

    Parameters
    ----------
    report : Report
        A report from :func:`~synchro.report.build_report`.
    folder : str or Path
        Where the files go (created if needed).

    Returns
    -------
    list of dict
        ``{"name", "png", "svg", "caption"}`` per figure, paths relative to
        the folder's parent (the report folder).
    """
    from ._forked import fork

    import_matplotlib()  # before the fork, for both processes
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = _shown(report)
    forked = [name for name in names if name in FORKED_FIGURES and name not in report.drawn]
    with plain_text():
        child = fork(lambda: _save(report, folder, forked)) if 0 < len(forked) < len(names) else None
        try:
            _save(report, folder, [name for name in names if child is None or name not in forked])
            if child is not None and not child.result():
                _save(report, folder, forked)
        finally:
            if child is not None:
                child.cancel()
    return [{"name": name, "png": f"{folder.name}/{name}.png", "svg": f"{folder.name}/{name}.svg",
             "caption": FIGURES[name]} for name in names]
