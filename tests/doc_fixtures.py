"""Files for the document-index tests: Markdown notes and a minimal hand-built PDF."""

from pathlib import Path

TOPICS = [
    ("sourdough", "Sourdough starter", "Feed the starter with rye flour every morning."),
    ("bikes", "Bicycle upkeep", "Chain lube goes on every 300 km, wiped after."),
    ("garden", "Tomato garden", "Tomatoes want deep watering twice a week."),
    ("taxes", "Tax paperwork", "Receipts go in the blue folder by March."),
    ("piano", "Piano practice", "Scales first, then the Chopin nocturne."),
    ("server", "Home server", "The backup disk is mounted at /srv/backup."),
    ("travel", "Trip to Norway", "The ferry to Bergen leaves at 07:30."),
    ("cat", "The cat's vet", "The vet is Dr. Lindqvist on Elm Street."),
    ("boiler", "Boiler manual", "Bleed the radiators before winter starts."),
    ("router", "Wi-Fi router", "The guest network password is on the fridge."),
]


def write_notes(folder: Path) -> dict[str, Path]:
    """Ten Markdown notes, each with a heading trail and its own facts."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, title, fact in TOPICS:
        path = folder / f"{name}.md"
        path.write_text(
            f"# {title}\n\nNotes I keep about {title.lower()}.\n\n## Routine\n\n{fact}\n"
        )
        paths[name] = path
    return paths


def pdf_bytes(pages: list[str]) -> bytes:
    """A minimal valid PDF with one line of Helvetica text per page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
