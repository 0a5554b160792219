"""Bar charts as inline SVG, drawn on the server.

The console's pages are server-rendered under a strict Content-Security-Policy; an SVG built
here needs no script, no chart library to keep up to date and no second request, prints as the
page does and is read by screen readers through its title and the table beside it (every chart
sits next to the numbers it draws). Labels are escaped: they come from stored metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = 22  # a horizontal bar's height, px
GAP = 6
LABEL_WIDTH = 150
PLOT_WIDTH = 360
COLUMN_HEIGHT = 160


def horizontal(title: str, bars: Sequence[tuple[str, float]]) -> str:
    """One bar per category, longest = full width, the count written after each bar."""
    most = max((value for _, value in bars), default=0) or 1
    height = max(len(bars), 1) * (BAR + GAP) + GAP
    width = LABEL_WIDTH + PLOT_WIDTH + 60
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    for n, (label, value) in enumerate(bars):
        y = GAP + n * (BAR + GAP)
        length = PLOT_WIDTH * value / most
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">{escape(label)}</text>'
                     f'<rect class="bar" x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR}"/>'
                     f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + BAR * 0.7:.1f}">{value:g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(title: str, bars: Sequence[tuple[str, float]]) -> str:
    """One column per day; the first and last day are written under the axis, the highest value beside it."""
    most = max((value for _, value in bars), default=0) or 1
    slot = max(min(PLOT_WIDTH * 1.5 / max(len(bars), 1), 70), 3)  # a few days: room for both dates below
    width = 40 + slot * len(bars) + 10
    height = COLUMN_HEIGHT + 40
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {width:.0f} {height}" width="{width:.0f}" '
             f'height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>',
             f'<text x="4" y="14">{most:g}</text>',
             f'<line class="axis" x1="38" y1="{COLUMN_HEIGHT + 10}" x2="{width:.0f}" y2="{COLUMN_HEIGHT + 10}"/>']
    for n, (label, value) in enumerate(bars):
        tall = COLUMN_HEIGHT * value / most
        x = 40 + n * slot
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{COLUMN_HEIGHT + 10 - tall:.1f}" width="{slot * 0.8:.1f}" '
                     f'height="{tall:.1f}"><title>{escape(label)}: {value:g}</title></rect>')
    if bars:
        parts.append(f'<text x="40" y="{COLUMN_HEIGHT + 30}">{escape(bars[0][0])}</text>')
        if len(bars) > 1:
            end = 40 + slot * (len(bars) - 1) + slot * 0.8  # under the last column's right edge
            parts.append(f'<text x="{end:.0f}" y="{COLUMN_HEIGHT + 30}" text-anchor="end">'
                         f'{escape(bars[-1][0])}</text>')
    parts.append("</svg>")
    return "".join(parts)
