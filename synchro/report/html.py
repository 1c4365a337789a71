"""report.html: the answer, the summary and the figures in one self-contained page, openable offline.

The page opens with the answer: one plain sentence per population and band
(the verdict word in bold), and what the words mean; then the preformatted
text summary, then the figures.

Figures are linked by relative path (``figures/<name>.png``, with the SVG one
click away), so the folder can be moved or zipped as a whole; the page loads
nothing from the network.
"""

from __future__ import annotations

from html import escape

from ..plotting import strip_control
from .text import lag_sentence

__all__ = ["render_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 13px; }
figure { margin: 2em 0; }
img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 14px; }
footer { color: #777; font-size: 12px; margin-top: 3em; }
#answer ul { font-size: 17px; line-height: 1.5; padding-left: 1.2em; }
#answer .population { color: #555; display: inline-block; min-width: 5em; }
#answer .note { color: #444; font-size: 14px; max-width: 60em; }
"""

#: What the verdict words mean, shown under the answer (docs/methods.rst, section "Rhythm verdicts", says more).
MEANING = (
    "What present means: a spectral peak above the aperiodic background, beyond independent units. "
    "Broadband: the units co-fluctuate beyond independence in the band, but there is no peak above the "
    "aperiodic background (co-modulated, no rhythm). Absent: neither. Undetermined: the data cannot answer "
    "(the reason is given). p is the peak test's p-value, Holm-adjusted across the bands."
)
#: Where the methods are documented (the page loads nothing from the network, so it names the page).
METHODS = ("docs/methods.rst", "Rhythm verdicts")


def _sentence_html(band: str, v: dict) -> str:
    """The band's sentence, escaped, with its verdict word in bold."""
    sentence, word = v.get("sentence") or "", v.get("verdict") or ""
    head = band[:1].upper() + band[1:] + (" (single unit)" if v.get("single_unit") else "") + ": "
    if word and sentence.startswith(head + word):
        rest = sentence[len(head) + len(word):]
        return f"{escape(head)}<b>{escape(word)}</b>{escape(rest)}"
    return escape(sentence)


def _verdict_list(rhythms: dict, bands: list[str]) -> list[str]:
    """One list item per population and band: the band's sentence, verdict word in bold."""
    if not rhythms:
        return ["<p>No rhythm verdict: the rhythm analysis could not run on this data (see Skipped in the "
                "summary).</p>"]
    items = [f'<li><span class="population">{escape(pop)}</span> {_sentence_html(band, verdicts[band])}</li>'
             for pop, verdicts in rhythms.items() for band in bands if band in verdicts]
    return ["<ul>", *items, "</ul>"]


def _mechanism_list(parameters: dict, episodes: dict, lag: list) -> list[str]:
    """When each rhythm is there (one item per population and band) and who leads whom (one item per band whose
    lag between the two populations is determined)."""
    parts = []
    items = [f'<li><span class="population">{escape(pop)}</span> {escape(v["sentence"])}</li>'
             for pop, bands in episodes.items() for v in bands.values()]
    if items:
        parts += ["<p>When the rhythms are there (episodes):</p>", "<ul>", *items, "</ul>"]
    items = [f"<li>{escape(lag_sentence(parameters, v))}</li>" for v in lag if not v["reason"]]
    if items:
        parts += ["<p>Timing of the populations' band-limited rates:</p>", "<ul>", *items, "</ul>"]
    return parts


def _answer(report) -> list[str]:
    """The "Answer" section: one sentence per population and band (per epoch or condition when the report has
    sections), and what the words mean."""
    parts = ['<section id="answer">', "<h2>Answer</h2>"]
    bands = list(report.parameters["bands"])
    if report.sections:
        for sec in report.sections:
            parts.append(f'<h3 class="section">{escape(sec["kind"].capitalize())} {escape(sec["label"])} '
                         f'<small>({sec["observed_duration"]:g} s observed)</small></h3>')
            parts += _verdict_list(sec["rhythms"], bands)
            parts += _mechanism_list(report.parameters, sec["episodes"], sec["lag"])
    else:
        parts += _verdict_list(report.rhythms, bands)
        parts += _mechanism_list(report.parameters, report.episodes, report.lag)
    doc, section = METHODS
    parts += [f'<p class="note">{escape(MEANING)} Methods: <code>{escape(doc)}</code>, section '
              f"&ldquo;{escape(section)}&rdquo;.</p>", "</section>"]
    return parts


def render_html(report, summary: str, figures: list[dict]) -> str:
    """Return the HTML page for ``report``.

    Parameters
    ----------
    report : Report
        The report (for title, the answer and provenance).
    summary : str
        The plain-text summary, shown preformatted.
    figures : list of dict
        ``{"name", "png", "svg", "caption"}`` with paths relative to the
        report folder, in display order.

    Returns
    -------
    str
        The page: UTF-8 HTML that loads only the figure files beside it; an
        "Answer" section (one sentence per population and band) comes first.
    """
    gen = report.generator
    title = f"synchro report: {report.input.get('name', 'recording')}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(title)}</h1>", *_answer(report), "<h2>Summary</h2>", f"<pre>{escape(summary)}</pre>",
    ]
    if figures:
        parts.append("<h2>Figures</h2>")
    for fig in figures:
        parts.append(f'<figure id="{escape(fig["name"])}"><a href="{escape(fig["svg"])}">'
                     f'<img src="{escape(fig["png"])}" alt="{escape(fig["caption"])}"></a>'
                     f"<figcaption>{escape(fig['caption'])} (click for SVG)</figcaption></figure>")
    parts += [
        f'<footer>Full results with every parameter: <a href="report.json">report.json</a>. '
        f"Made by synchro {escape(gen['version'])} on {escape(gen['created'])}.</footer>",
        "</body>", "</html>",
    ]
    # Names from the input may hold control characters, which HTML forbids (a NUL is a parse error).
    return strip_control("\n".join(parts) + "\n")
