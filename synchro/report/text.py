"""Plain-text rendering of a :class:`~synchro.report.model.Report`: aligned tables within 80 columns."""

from __future__ import annotations

import math

from ..plotting import format_p, strip_control

__all__ = ["render_text", "lag_sentence"]

WIDTH = 80

#: Synchrony indices of report.json in the order the summary lists them, with their names there.
SYNCHRONY_LABELS = {"chi": "chi", "sttc": "STTC", "spike_sync": "SPIKE-sync", "spike_contrast": "spike contrast",
                    "fano": "Fano"}


def _num(value, fmt: str = ".3g") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return format(value, fmt)


def _table(header: list[str], rows: list[list[str]], indent: str = "  ", left: int = 2) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    # The first ``left`` columns (population, band, words) read left-aligned; figures right-aligned.
    def line(cells):
        parts = [c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return (indent + "  ".join(parts)).rstrip()

    return [line(header)] + [line(r) for r in rows]


def _wrap(prefix: str, text: str, indent: str | None = None) -> list[str]:
    import textwrap

    return textwrap.wrap(text, WIDTH, initial_indent=prefix,
                         subsequent_indent=" " * len(prefix) if indent is None else indent)


def render_text(report) -> str:
    """Render the terminal summary of a report.

    Parameters
    ----------
    report : Report
        The report to render.

    Returns
    -------
    str
        Header, one verdict sentence and one table row per band and
        population, synchrony and coupling tables, warnings about the input
        and skipped analyses, within 80 columns.
    """
    inp, par = report.input, report.parameters
    pops = inp["populations"]
    counts = ", ".join(f"{p['units']} {name}" for name, p in pops.items() if name != "all")
    lines = _wrap("", f"{inp['name']}: {inp['units']} units" + (f" ({counts})" if counts else "")
                  + f", {inp['spikes']:,} spikes, {inp['t_start']:g}-{inp['t_stop']:g} s")
    window = par["time_window"]
    n = par["n_surrogates"]
    left_out = f" (first {par['discard']:g} s left out: simulation start-up)" if par.get("discard") else ""
    lines += _wrap("", f"analysed {window[0]:g}-{window[1]:g} s{left_out}; seed {par['seed']}; each band tested twice: "
                       f"peak over the aperiodic background (parametric bootstrap of the background, {n} "
                       f"spectra) and power beyond independent units ({n} circular-shift surrogates)")
    if report.sections:
        spec = par["sections"]
        lines += _wrap("", f"{len(report.sections)} {spec['kind']}s of the {spec['table']!r} table (labels from "
                           f"{spec['column']!r}), each analysed on its own observed time")
        for sec in report.sections:
            lines += ["", "=" * min(WIDTH, 40)] + _wrap("", _section_heading(sec))
            lines += _results(par, inp, sec)
            lines += _skipped(sec["skipped"])
        lines += ["", "=" * min(WIDTH, 40)]
    else:
        lines += _results(par, inp, {"rhythms": report.rhythms, "synchrony": report.synchrony,
                                     "coupling": report.coupling, "episodes": report.episodes, "lag": report.lag,
                                     "cross_frequency": report.cross_frequency})
    if report.input.get("warnings"):
        lines += ["", "Warnings about the input"]
        for w in report.input["warnings"]:
            lines += _wrap("  ", w)
    lines += _skipped(report.skipped)
    # Names from the input may hold control characters: none reaches a terminal (escape sequences) or a file.
    return strip_control("\n".join(lines))


def _skipped(skipped: list[dict]) -> list[str]:
    """The "Skipped" block: one wrapped line per analysis that could not run, and why (nothing when none)."""
    lines = ["", "Skipped"] if skipped else []
    for s in skipped:
        where = ", ".join(x for x in (s["population"], s.get("band")) if x)
        lines += _wrap("  ", f"{s['analysis']} ({where}): {s['reason']}")
    return lines


def _section_heading(sec: dict) -> str:
    """``Epoch sleep: 0-600 s, 600 s observed (1 row)``."""
    iv = sec["intervals"]
    span = f"{iv[0][0]:g}-{iv[-1][1]:g} s" if iv else "no time"
    rows = f"{sec['n_rows']} trial{'s' * (sec['n_rows'] != 1)}" if sec["kind"] == "condition" else (
        f"{sec['n_rows']} row{'s' * (sec['n_rows'] != 1)}")
    return (f"{sec['kind'].capitalize()} {sec['label']}: {span}, {sec['observed_duration']:g} s observed in "
            f"{len(iv)} interval{'s' * (len(iv) != 1)} ({rows} of {sec['table']!r})")


def _results(par: dict, inp: dict, part: dict) -> list[str]:
    """The rhythm, synchrony, coupling and mechanism blocks of one analysis (the whole window, or one section)."""
    rhythms, synchrony, coupling = part["rhythms"], part["synchrony"], part["coupling"]
    lines: list[str] = []
    band_names = list(par["bands"])

    def band_label(b):
        lo, hi = par["bands"][b]
        return f"{b} {lo:g}-{hi:g} Hz"

    if rhythms:
        lines += ["", f"Rhythms (population-rate spectrum; Holm across bands, alpha {par['alpha']:g})"]
        for pop, bands in rhythms.items():
            for b in band_names:
                lines += _wrap("  ", f"{pop}: {bands[b]['sentence']}", indent="      ")
        rows = []
        for pop, bands in rhythms.items():
            for b in band_names:
                v = bands[b]
                rows.append([pop, band_label(b), v["verdict"], _num(v["peak_hz"], ".1f"),
                             _num(v["power_ratio"], ".3g"), format_p(v["p_peak_holm"]),
                             format_p(v["p_independent_holm"])])
        lines += [""] + _table(["population", "band", "verdict", "peak Hz", "peak/bg", "p peak", "p indep"], rows,
                               left=3)
        lines += _wrap("  ", "peak/bg: spectrum over the aperiodic background at the peak; present = a peak "
                             "above the background (p peak) and power beyond independent units (p indep)")
    if synchrony:
        null = par["synchrony_null"]
        lines += [""] + _wrap("", f"Synchrony (each index against its chance level: the mean over "
                                  f"{null['n_surrogates']} {null['null'].replace('_', '-')} surrogates; z in their sd, "
                                  f"one-sided p; Fano factor of {par['fano_bin_width'] * 1e3:g} ms population "
                                  "counts; chi floor = 1/sqrt(N) for independent units)")
        rows = []
        for pop, indices in synchrony.items():
            for key, label in SYNCHRONY_LABELS.items():
                if key in indices:
                    v = indices[key]
                    rows.append([pop, label, _num(v["value"], ".3f"), _num(v["chance"], ".3f"), _num(v["z"], ".1f"),
                                 format_p(v["p"]), _num(v.get("floor"), ".3f")])
        lines += _table(["population", "index", "value", "chance", "z", "p", "floor"], rows)
    if coupling:
        field = inp["field"]
        lines += ["", f"Spike-field coupling ({field['name']}, channel {field['channel']})"]
        rows = []
        for pop, bands in coupling.items():
            for b, v in bands.items():
                phase = v["preferred_phase"]
                rows.append([pop, band_label(b), _num(v["ppc"], ".3f"), _num(v["plv"], ".3f"),
                             "-" if phase is None else f"{round(math.degrees(phase)):d}", format_p(v["rayleigh_p"])])
        lines += _table(["population", "band", "PPC", "PLV", "phase deg", "Rayleigh p"], rows)
    return lines + _mechanism(par, part["episodes"], part["lag"], part["cross_frequency"])


def lag_sentence(par: dict, v: dict) -> str:
    """One lag record of report.json as a sentence.

    Parameters
    ----------
    par : dict
        The report's parameters (for the band's edges).
    v : dict
        One record of ``report.json["lag"]``.

    Returns
    -------
    str
        ``gamma 30-80 Hz: inh lags exc by 2.3 ms (lag +2.3 ms, 95 % CI +2.1 to +2.4 ms), +39 degrees of its 32 Hz
        cycle``, or the band and why the lag is undetermined.
    """
    lo, hi = par["bands"][v["band"]]
    head = f"{v['band']} {lo:g}-{hi:g} Hz"
    if v["reason"] or v["lag"] is None:
        return f"{head}: undetermined ({v['reason']})"
    verb = "lags" if v["lag"] >= 0 else "leads"
    lo_ms, hi_ms = (_num(None if c is None else c * 1e3, "+.1f") for c in v["lag_ci"])
    return (f"{head}: {v['second']} {verb} {v['first']} by {abs(v['lag']) * 1e3:.1f} ms (lag {v['lag'] * 1e3:+.1f} ms, "
            f"95 % CI {lo_ms} to {hi_ms} ms), {v['phase_degrees']:+.0f} degrees of its {v['peak_freq']:g} Hz cycle")


def _mechanism(par: dict, episodes: dict, lag: list, cross_frequency: dict) -> list[str]:
    """When each rhythm is there (episodes), who leads whom (the lag between two populations) and
    phase-amplitude coupling between the bands."""
    lines: list[str] = []
    if episodes:
        call = next(c["parameters"] for c in par["calls"] if c["analysis"] == "episodes")
        lines += [""] + _wrap("", f"Episodes (wavelet power over the aperiodic background, above a threshold that "
                                  f"flags {call['alpha'] * 100:g} % of simulated background time, for at least "
                                  f"{call['min_cycles']:g} cycles)")
        for pop, bands in episodes.items():
            for v in bands.values():
                lines += _wrap("  ", f"{pop}: {v['sentence']}", indent="      ")
    if lag:
        lines += [""] + _wrap("", f"Timing ({lag[0]['second']} against {lag[0]['first']}: lag of the band-limited "
                                  "population rates, positive when the second fires later; block-bootstrap CI)")
        for v in lag:
            lines += _wrap("  ", lag_sentence(par, v), indent="      ")
    if cross_frequency:
        lines += [""] + _wrap("", "Phase-amplitude coupling (Tort's modulation index of the population rate; "
                                  "amplitude-shift null)")
        rows = [[pop, f"{v['phase_band']} -> {v['amplitude_band']}", _num(v["mi"], ".4f"), _num(v["chance"], ".4f"),
                 _num(v["z"], ".1f"), format_p(v["p"])] for pop, pairs in cross_frequency.items() for v in pairs]
        lines += _table(["population", "phase -> amplitude", "MI", "chance", "z", "p"], rows)
    return lines
