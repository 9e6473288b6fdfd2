"""Just enough PNG decoding to tell a screenshot from a blank page, with the standard library
(Pillow is not a dependency): 8-bit RGB or RGBA, non-interlaced, as Chromium writes them."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 6: 4}  # colour type → bytes per pixel (RGB, RGBA)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the rows of unfiltered pixel bytes."""
    data = path.read_bytes()
    assert data.startswith(_SIGNATURE), f"{path} is not a PNG"
    offset, idat, header = len(_SIGNATURE), b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind, body = data[offset + 4:offset + 8], data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in _CHANNELS and interlace == 0, "only 8-bit RGB(A), non-interlaced"
    bpp = _CHANNELS[colour]
    raw, stride, rows, previous = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up, corner = previous[x], previous[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + (0, left, up, (left + up) // 2, _paeth(left, up, corner))[kind]) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def colours(path: Path, step: int = 2) -> set[bytes]:
    """The RGB colours of every `step`-th pixel of every `step`-th row (enough to judge a page)."""
    width, _, rows = pixels(path)
    bpp = len(rows[0]) // width
    return {row[x:x + 3] for row in rows[::step] for x in range(0, len(row), bpp * step)}
