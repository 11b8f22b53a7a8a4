"""Draws the kernelspec logos (a 4x4 attention heatmap, lower-triangular like a causal
mask) as PNG files with only the standard library. Run: python3 scripts/make_logos.py"""
import struct, zlib, pathlib

VIRIDIS = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
WEIGHTS = [[1.0, 0, 0, 0], [0.35, 0.65, 0, 0], [0.2, 0.3, 0.5, 0], [0.1, 0.15, 0.25, 0.5]]

def colour(w):
    if w == 0:
        return (240, 240, 240)
    x = w * (len(VIRIDIS) - 1)
    i = min(int(x), len(VIRIDIS) - 2)
    t = x - i
    return tuple(round(a + (b - a) * t) for a, b in zip(VIRIDIS[i], VIRIDIS[i + 1]))

def png(size):
    cell, pad = size // 4, 1 if size <= 32 else 2
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            i, j = min(y // cell, 3), min(x // cell, 3)
            inner = pad <= x % cell < cell - pad and pad <= y % cell < cell - pad
            row += bytes(colour(WEIGHTS[i][j]) + (255,)) if inner else bytes((0, 0, 0, 0))
        rows.append(bytes(row))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")

out = pathlib.Path(__file__).resolve().parent.parent / "kernelspec" / "attention"
for size in (32, 64):
    (out / f"logo-{size}x{size}.png").write_bytes(png(size))
