"""report.html: the summary and the figures in one self-contained page, openable offline.

Figures are linked by relative path (``figures/<name>.png``, with the SVG one
click away), so the folder can be moved or zipped as a whole; the page loads
nothing from the network.
"""

from __future__ import annotations

from html import escape

__all__ = ["render_html"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 13px; }
figure { margin: 2em 0; }
img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 14px; }
footer { color: #777; font-size: 12px; margin-top: 3em; }
"""


def render_html(report, summary: str, figures: list[dict]) -> str:
    """Return the HTML page for ``report``.

    Parameters
    ----------
    report : Report
        The report (for title and provenance).
    summary : str
        The plain-text summary, shown preformatted.
    figures : list of dict
        ``{"name", "png", "svg", "caption"}`` with paths relative to the
        report folder, in display order.

    Returns
    -------
    str
        The page: UTF-8 HTML that loads only the figure files beside it.
    """
    gen = report.generator
    title = f"synchro report: {report.input.get('name', 'recording')}"
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(title)}</h1>", "<h2>Summary</h2>", f"<pre>{escape(summary)}</pre>",
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
    return "\n".join(parts) + "\n"
