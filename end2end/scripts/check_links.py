"""`make docs-check`: every relative link and picture in README.md and docs/*.md resolves.

A link to a file must name one that exists; a link with `#anchor` must name a heading of that
file, as GitHub makes anchors of headings (lower case, spaces to hyphens, punctuation dropped).
Also fails when the README grows past 250 lines. Prints each broken link and exits 1.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README_MAX_LINES = 250
LINK = re.compile(r"\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


def anchors(path: Path) -> set[str]:
    found, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            title = re.sub(r"[^\w\- ]", "", title)
            found.add(title.replace(" ", "-"))
    return found


def main() -> int:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        # Links inside code are examples, not links.
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        for match in LINK.finditer(text):
            target = match.group(1) or match.group(2)
            if re.match(r"^[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            resolved = (page.parent / file_part).resolve() if file_part else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}: no such file")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)}: {target}: no such heading")
    lines = len((ROOT / "README.md").read_text(encoding="utf-8").splitlines())
    if lines > README_MAX_LINES:
        broken.append(f"README.md: {lines} lines, more than {README_MAX_LINES}")
    for line in broken:
        print(line, file=sys.stderr)
    print(f"docs-check: {len(pages)} pages, {'ok' if not broken else f'{len(broken)} broken'}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
