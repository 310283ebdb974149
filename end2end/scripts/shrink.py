"""`make screenshots`: shrinks each PNG named on the command line in place to 256 colours.

A page is mostly flat colour, so a palette keeps it sharp at about a quarter of the bytes.
"""

import sys
from pathlib import Path

from PIL import Image

for name in sys.argv[1:]:
    path = Path(name)
    before = path.stat().st_size
    with Image.open(path) as image:
        shrunk = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    shrunk.save(path, optimize=True)
    print(f"{path.name}: {before:,} -> {path.stat().st_size:,} bytes")
