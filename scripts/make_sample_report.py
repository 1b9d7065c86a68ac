"""Write examples/webank-2022-report-sample.pdf: a one-page SAMPLE standing in for WeBank's 2022 report.

The README's walkthrough publishes and verifies "the report PDF"; the real report is not ours to ship,
so this writes a small, plain PDF 1.4 by hand (one page, Helvetica, no compression, no dependency)
that says on its face that it is a sample. The bytes are the same on every run (no dates, no ids),
so its sha256 never changes::

    python scripts/make_sample_report.py            # rewrites examples/webank-2022-report-sample.pdf
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "examples" / "webank-2022-report-sample.pdf"

LINES = [
    (18, "WeBank 2022 Sustainability Report (SAMPLE)"),
    (11, ""),
    (11, "This is NOT the real report. It is a one-page sample file shipped with esg-attest"),
    (11, "so that the README's walkthrough can publish and verify 'the report PDF' literally."),
    (11, "It was written by scripts/make_sample_report.py."),
    (11, ""),
    (11, "Figures quoted in examples/webank-2022-figures.json (from the source article):"),
    (11, "  - more than 360 million individual customers served (cumulative)"),
    (11, "  - more than 3.4 million small and micro market entities served (cumulative)"),
    (11, "  - operations carbon neutral in 2022 (see the illustrative verification statement)"),
    (11, ""),
    (11, "Any change to this file, even one byte, changes its sha256 and fails `attest verify`."),
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def sample_pdf() -> bytes:
    """The sample's bytes: catalog, pages, one page, its content stream, a font; then xref and trailer."""
    text = ["BT", "72 770 Td"]
    for size, line in LINES:
        text += [f"/F1 {size} Tf", f"({_escape(line)}) Tj", f"0 -{size + 7} Td"]
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def main() -> int:
    OUT.write_bytes(sample_pdf())
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
