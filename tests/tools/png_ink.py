#!/usr/bin/env python3
"""The share of a PNG's pixels that are not white, how many colours it has,
and how many pixels have each colour asked for: a screenshot of a picture
that drew nothing is all white, and one of a browser's error page has
none of the picture's own colours.  Standard library only (zlib): 8-bit
RGB or RGBA, not interlaced, as Chromium's screenshots are.

    png_ink.py FILE.png [RRGGBB...]  ->  "INK_FRACTION COLOURS [PIXELS...]" """
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and ctype in (2, 6) and not interlace, "an unusual PNG"
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
ink = 0
colours = {}
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        if px != b"\xff\xff\xff":
            ink += 1
        colours[px] = colours.get(px, 0) + 1
    prev = line
asked = [colours.get(bytes.fromhex(h), 0) for h in sys.argv[2:]]
print(" ".join(["%.4f" % (ink / (width * height)), str(len(colours))] + [str(n) for n in asked]))
