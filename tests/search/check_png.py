#!/usr/bin/python3
"""Exit 1 unless every PNG given is larger than 10 kB and not a single colour."""
import sys

import matplotlib.image as mpimg

bad = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        size = len(f.read())
    pixels = mpimg.imread(path)
    flat = pixels.reshape(-1, pixels.shape[-1])
    colours = len({tuple(p) for p in flat[:: max(1, len(flat) // 20000)]})
    if size < 10000 or colours < 16:
        bad.append("%s: %d bytes, %d colours" % (path, size, colours))
print("\n".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
