#!/usr/bin/env python3
"""Turns `tmux capture-pane -e -p` output (text with ANSI SGR colours) into an SVG picture.

Usage: ansi2svg.py < capture.ansi > screen.svg   (standard library only)
"""
import html
import re
import sys

PALETTE = [
    "#1d1f21", "#cc6666", "#b5bd68", "#f0c674", "#81a2be", "#b294bb", "#8abeb7", "#c5c8c6",
    "#666666", "#d54e53", "#b9ca4a", "#e7c547", "#7aa6da", "#c397d8", "#70c0b1", "#eaeaea",
]
FG, BG = "#c5c8c6", "#1d1f21"
CW, CH = 8.4, 17  # cell size in px (monospace 14px)


def xterm256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    g = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (g, g, g)


def parse(text):
    rows = []
    for line in text.split("\n"):
        cells, fg, bg, bold, rev = [], None, None, False, False
        for tok in re.split(r"(\x1b\[[0-9;]*m)", line):
            if tok.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in tok[2:-1].split(";")] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        fg, bg, bold, rev = None, None, False, False
                    elif c == 1:
                        bold = True
                    elif c == 22:
                        bold = False
                    elif c == 7:
                        rev = True
                    elif c == 27:
                        rev = False
                    elif 30 <= c <= 37:
                        fg = PALETTE[c - 30]
                    elif 90 <= c <= 97:
                        fg = PALETTE[c - 90 + 8]
                    elif c == 39:
                        fg = None
                    elif 40 <= c <= 47:
                        bg = PALETTE[c - 40]
                    elif 100 <= c <= 107:
                        bg = PALETTE[c - 100 + 8]
                    elif c == 49:
                        bg = None
                    elif c in (38, 48) and i + 1 < len(codes):
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            col = xterm256(codes[i + 2])
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            col = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                            i += 4
                        else:
                            col = None
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                    i += 1
            else:
                for ch in tok:
                    f, b = fg or FG, bg or BG
                    if rev:
                        f, b = b, f
                    cells.append((ch, f, b, bold))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def main():
    rows = parse(sys.stdin.read())
    width = max((len(r) for r in rows), default=80)
    w, h = width * CW + 16, len(rows) * CH + 16
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.0f} {h:.0f}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
        f'<rect width="100%" height="100%" rx="6" fill="{BG}"/>',
    ]
    for y, row in enumerate(rows):
        ty = 8 + y * CH
        # Backgrounds, merged into runs.
        x = 0
        while x < len(row):
            b = row[x][2]
            start = x
            while x < len(row) and row[x][2] == b:
                x += 1
            if b != BG:
                out.append(f'<rect x="{8 + start * CW:.1f}" y="{ty}" width="{(x - start) * CW:.1f}" height="{CH}" fill="{b}"/>')
        # Text runs with one colour and weight.
        x = 0
        while x < len(row):
            f, bold = row[x][1], row[x][3]
            start = x
            while x < len(row) and row[x][1] == f and row[x][3] == bold:
                x += 1
            text = "".join(c[0] for c in row[start:x])
            if text.strip():
                weight = ' font-weight="bold"' if bold else ""
                out.append(
                    f'<text x="{8 + start * CW:.1f}" y="{ty + 13}" fill="{f}"{weight} '
                    f'textLength="{(x - start) * CW:.1f}" lengthAdjust="spacingAndGlyphs" '
                    f'xml:space="preserve">{html.escape(text)}</text>'
                )
    out.append("</svg>")
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
