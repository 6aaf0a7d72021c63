#!/usr/bin/env python3
"""Writes Tests/ImageCodecsTests/Fixtures: small PNG, BMP and PNM/PAM files covering every decoder
path (each PNG colour type and bit depth, Adam7, tRNS, split IDAT, all five filters; BMP 1/4/8/16/
24/32-bit bottom-up and top-down; P4/P5/P6/P7 with maxima 1, 15, 255, 1000, 65535) and, for each,
the pixels our `ImageDecoder.decode` must return, in expected.json plus NAME.expected (raw samples).

Expected pixels follow Pillow: every file is opened with Pillow and its colour channels are
checked against the expectation (16-bit samples keep their high byte), with one deliberate
difference: 16-bit grayscale (Pillow mode I;16 / I) is scaled to 8 bits, v * 255 / 65535
rounded, where Pillow's convert("L") clips at 255 and turns a 16-bit scan white; for those
Pillow's own 16-bit values are checked and scaled. Alpha comes from the file's alpha channel or
tRNS key.
16-bit PNGs also get NAME.samples16 (big-endian lossless samples) for PNGDecoder.decodeSamples.
Needs pypng and Pillow. Run from the repository root: python3 scripts/make-image-fixtures.py"""
import io, json, os, random, struct, zlib
import png
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImageCodecsTests", "Fixtures")
W, H = 13, 9  # odd sizes: partial bytes at 1/2/4 bits, every Adam7 pass partly filled
rng = random.Random(20240601)
manifest = {}
LAYOUTS = {1: "gray", 2: "grayAlpha", 3: "rgb", 4: "rgba"}


def pattern(channels, maximum, width=W, height=H):
    """Rows of samples mixing smooth gradients (so filters matter) with noise."""
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            for c in range(channels):
                smooth = (x * 37 + y * 23 + c * 71) % (maximum + 1)
                row.append(smooth if rng.random() < 0.6 else rng.randint(0, maximum))
        rows.append(row)
    return rows


def record(name, data, width, height, channels, expected, samples16=None):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    assert len(expected) == width * height * channels, name
    with open(os.path.join(OUT, name + ".expected"), "wb") as f:
        f.write(bytes(expected))
    entry = {"width": width, "height": height, "layout": LAYOUTS[channels]}
    if samples16 is not None:
        with open(os.path.join(OUT, name + ".samples16"), "wb") as f:
            f.write(b"".join(v.to_bytes(2, "big") for v in samples16))
        entry["samples16"] = name + ".samples16"
    manifest[name] = entry


def flat_values(im):
    """Pillow's samples as numbers (get_flattened_data from Pillow 12 on, getdata before)."""
    return list(im.get_flattened_data() if hasattr(im, "get_flattened_data") else im.getdata())


def scale16(value, maximum=65535):
    """16-bit gray to 8 bits as our decoders do it (not Pillow's clip): v * 255 / max, rounded."""
    return round(value * 255 / maximum)


def pillow_check(name, data, expected, channels, gray16=False):
    """Pillow must agree with `expected` on the colour channels (for 16-bit gray: Pillow's
    16-bit values, scaled as we scale them)."""
    im = Image.open(io.BytesIO(data))
    im.load()
    color = 1 if channels <= 2 else 3
    ours = [expected[i * channels + c] for i in range(len(expected) // channels) for c in range(color)]
    if gray16:
        theirs = [scale16(v) for v in flat_values(im)]
    elif color == 1:
        theirs = list(im.convert("L").tobytes())
    else:
        theirs = list(im.convert("RGB").tobytes())
    assert theirs == ours, f"{name}: Pillow decodes different pixels"


def png_fixture(name, *, greyscale=True, alpha=False, bitdepth=8, palette=None, transparent=None,
                interlace=False, chunk_limit=2 ** 20):
    if palette is not None:
        channels_in, maximum = 1, len(palette) - 1
    else:
        channels_in = (1 if greyscale else 3) + (1 if alpha else 0)
        maximum = (1 << bitdepth) - 1
    rows = pattern(channels_in, maximum)
    if transparent is not None:  # make sure the key occurs
        key = transparent if isinstance(transparent, tuple) else (transparent,)
        rows[1][0:len(key)] = list(key)
        rows[4][len(key) * 3:len(key) * 4] = list(key)
    buf = io.BytesIO()
    writer = png.Writer(W, H, greyscale=greyscale if palette is None else False, alpha=alpha,
                        bitdepth=bitdepth, palette=palette, transparent=transparent,
                        interlace=interlace, chunk_limit=chunk_limit)
    writer.write(buf, rows)
    data = buf.getvalue()
    # Expected 8-bit pixels under our (Pillow's) rules.
    expected, samples16 = [], []
    for row in rows:
        for x in range(W):
            px = row[x * channels_in:(x + 1) * channels_in]
            if palette is not None:
                entry = palette[px[0]]
                expected += list(entry[:3]) + ([entry[3] if len(entry) == 4 else 255]
                                               if any(len(e) == 4 for e in palette) else [])
                continue
            if bitdepth == 16:
                samples16 += px
            color = px[:len(px) - (1 if alpha else 0)]
            if bitdepth < 8:
                out = [v * 255 // maximum for v in color]
            elif bitdepth == 8:
                out = list(color)
            elif greyscale and not alpha:
                out = [scale16(v) for v in color]  # scaled; Pillow's I;16 -> L would clip
            else:
                out = [v >> 8 for v in color]
            if alpha:
                out.append(px[-1] >> 8 if bitdepth == 16 else px[-1])
            elif transparent is not None:
                key = transparent if isinstance(transparent, tuple) else (transparent,)
                out.append(0 if tuple(color) == key else 255)
                if bitdepth == 16:
                    samples16.append(0 if tuple(color) == key else 65535)
            expected += out
    channels = len(expected) // (W * H)
    pillow_check(name, data, expected, channels, gray16=bitdepth == 16 and greyscale and not alpha)
    record(name, data, W, H, channels, expected, samples16 if bitdepth == 16 else None)


def pillow_png(name, mode, width=32, height=24):
    """Pillow's writer filters adaptively, so these carry several filter types."""
    channels = {"L": 1, "RGB": 3, "RGBA": 4, "LA": 2}[mode]
    rows = pattern(channels, 255, width, height)
    flat = bytes(v for row in rows for v in row)
    im = Image.frombytes(mode, (width, height), flat)
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=False)
    data = buf.getvalue()
    record(name, data, width, height, channels, list(flat))
    return data


def filter_rows(raw_rows, step):
    """Applies filter type y % 5 to row y, so one file exercises all five filters."""
    out, previous = b"", bytes(len(raw_rows[0]))
    for y, row in enumerate(raw_rows):
        kind = y % 5
        filtered = bytearray()
        for i, v in enumerate(row):
            a = row[i - step] if i >= step else 0
            b = previous[i]
            c = previous[i - step] if i >= step else 0
            if kind == 0: pred = 0
            elif kind == 1: pred = a
            elif kind == 2: pred = b
            elif kind == 3: pred = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            filtered.append((v - pred) & 255)
        out += bytes([kind]) + bytes(filtered)
        previous = row
    return out


def all_filters_png(name, ctype, depth, channels):
    """Hand-filtered PNG (every row a different filter); Pillow must decode it as expected."""
    width, height = 13, 10
    maximum = (1 << depth) - 1
    rows = pattern(channels, maximum, width, height)
    raw_rows = []
    for row in rows:
        if depth == 16:
            raw_rows.append(b"".join(v.to_bytes(2, "big") for v in row))
        elif depth < 8:
            acc, bits, packed = 0, 0, bytearray()
            for v in row:
                acc = acc << depth | v; bits += depth
                if bits == 8:
                    packed.append(acc); acc, bits = 0, 0
            if bits:
                packed.append(acc << (8 - bits))
            raw_rows.append(bytes(packed))
        else:
            raw_rows.append(bytes(row))
    step = max(1, channels * depth // 8)
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(filter_rows(raw_rows, step))) + chunk(b"IEND", b""))
    flat = [v for row in rows for v in row]
    if depth < 8:
        expected = [v * 255 // maximum for v in flat]
    elif depth == 16:
        expected = [v >> 8 for v in flat]
    else:
        expected = flat
    pillow_check(name, data, expected, channels)
    record(name, data, width, height, channels, expected, flat if depth == 16 else None)
    return data


def png_filters_used(data):
    """Filter bytes of a non-interlaced PNG's rows."""
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        if kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    width, height, depth, ctype = header[:4]
    spp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    stride = (width * spp * depth + 7) // 8 + 1
    return {raw[i * stride] for i in range(height)}


def bmp_file(bits, width, height, pixels, palette=None, top_down=False, masks=None, v4=False):
    """A hand-built BMP: `pixels` is rows (top first) of palette indexes or packed pixel ints."""
    stride = ((bits * width + 31) // 32) * 4
    rows = []
    for row in pixels:
        if bits < 8:
            acc = 0
            out = bytearray()
            per = 8 // bits
            for i, v in enumerate(row):
                acc |= v << (8 - bits * (i % per + 1))
                if i % per == per - 1:
                    out.append(acc); acc = 0
            if len(row) % per:
                out.append(acc)
        else:
            out = bytearray(b"".join(v.to_bytes(bits // 8, "little") for v in row))
        rows.append(bytes(out).ljust(stride, b"\0"))
    if not top_down:
        rows.reverse()
    body = b"".join(rows)
    dib_size = 108 if v4 else 40
    compression = 3 if masks else 0
    extra = b""
    if masks and not v4:
        extra = struct.pack("<III", *masks[:3])
    pal = b"".join(struct.pack("<BBBB", b, g, r, 0) for r, g, b in (palette or []))
    dib = struct.pack("<IiiHHIIiiII", dib_size, width, -height if top_down else height, 1, bits,
                      compression, len(body), 2835, 2835, len(palette or []), 0)
    if v4:
        m = list(masks) + [0] * (4 - len(masks))
        dib += struct.pack("<IIII", *m) + b"sRGB" + b"\0" * 36 + b"\0" * 12
    offset = 14 + len(dib) + len(extra) + len(pal)
    header = b"BM" + struct.pack("<IHHI", offset + len(body), 0, 0, offset)
    return header + dib + extra + pal + body


def bmp_fixtures():
    w, h = 11, 7
    def indexes(n):
        return [[rng.randrange(n) for _ in range(w)] for _ in range(h)]
    colour_palette = lambda n: [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(n)]
    cases = []
    p = [(0, 0, 0), (255, 255, 255)]
    cases.append(("bmp_1bit.bmp", bmp_file(1, w, h, indexes(2), palette=p), "gray"))
    p = colour_palette(16)
    cases.append(("bmp_4bit.bmp", bmp_file(4, w, h, indexes(16), palette=p), "rgb"))
    p = colour_palette(256)
    cases.append(("bmp_8bit.bmp", bmp_file(8, w, h, indexes(256), palette=p), "rgb"))
    p = [(i, i, i) for i in range(256)]
    cases.append(("bmp_8bit_gray_topdown.bmp", bmp_file(8, w, h, indexes(256), palette=p, top_down=True), "gray"))
    rgb = [[rng.randrange(1 << 24) for _ in range(w)] for _ in range(h)]
    cases.append(("bmp_24bit.bmp", bmp_file(24, w, h, rgb), "rgb"))
    cases.append(("bmp_24bit_topdown.bmp", bmp_file(24, w, h, rgb, top_down=True), "rgb"))
    argb = [[rng.randrange(1 << 32) for _ in range(w)] for _ in range(h)]
    cases.append(("bmp_32bit_bgrx.bmp", bmp_file(32, w, h, argb), "rgb"))
    cases.append(("bmp_32bit_bitfields_alpha.bmp",
                  bmp_file(32, w, h, argb, masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000), v4=True), "rgba"))
    rgb565 = [[rng.randrange(1 << 16) for _ in range(w)] for _ in range(h)]
    cases.append(("bmp_16bit_565.bmp", bmp_file(16, w, h, rgb565, masks=(0xF800, 0x07E0, 0x001F)), "rgb"))
    for name, data, layout in cases:
        im = Image.open(io.BytesIO(data))
        mode = {"gray": "L", "rgb": "RGB", "rgba": "RGBA"}[layout]
        expected = list(im.convert(mode).tobytes())
        channels = {"gray": 1, "rgb": 3, "rgba": 4}[layout]
        record(name, data, w, h, channels, expected)


def pnm_fixtures():
    w, h = 10, 6
    def samples(n, maximum):
        return [rng.randint(0, maximum) for _ in range(n)]
    def pack(values, maximum):
        return bytes(values) if maximum < 256 else b"".join(v.to_bytes(2, "big") for v in values)
    cases = []
    for magic, channels, maximum in [("P5", 1, 255), ("P5", 1, 15), ("P5", 1, 65535), ("P6", 3, 255),
                                     ("P6", 3, 1000), ("P6", 3, 100), ("P6", 3, 65535)]:
        values = samples(w * h * channels, maximum)
        if maximum > 255:
            values[:6] = [0, 1, 200, 255, 256, maximum]
        data = b"%s\n# a comment\n%d %d\n%d\n" % (magic.encode(), w, h, maximum) + pack(values, maximum)
        name = f"pnm_{magic}_max{maximum}.{'pgm' if channels == 1 else 'ppm'}"
        im = Image.open(io.BytesIO(data))
        if channels == 1 and maximum > 255:
            # 16-bit gray is scaled, not clipped as Pillow's convert("L") does; Pillow's own
            # values must be the file's.
            assert flat_values(im) == [round(v * 65535 / maximum) for v in values], name
            expected = [scale16(v, maximum) for v in values]
        else:
            expected = list(im.convert("L" if channels == 1 else "RGB").tobytes())
        record(name, data, w, h, channels, expected)
    bits = [[rng.randrange(2) for _ in range(w)] for _ in range(h)]
    p4 = b"P4\n%d %d\n" % (w, h)
    for row in bits:
        acc = 0
        for i, b in enumerate(row + [0] * (-len(row) % 8)):
            acc = acc << 1 | b
            if i % 8 == 7:
                p4 += bytes([acc]); acc = 0
    expected = list(Image.open(io.BytesIO(p4)).convert("L").tobytes())
    assert expected == [0 if b else 255 for row in bits for b in row]
    record("pnm_P4.pbm", p4, w, h, 1, expected)
    # PAM (Pillow does not read P7): expected by the format's definition.
    for tupltype, depth, maximum in [("GRAYSCALE", 1, 255), ("GRAYSCALE_ALPHA", 2, 255), ("RGB_ALPHA", 4, 255),
                                     ("RGB", 3, 65535)]:
        values = samples(w * h * depth, maximum)
        data = (b"P7\nWIDTH %d\nHEIGHT %d\nDEPTH %d\nMAXVAL %d\nTUPLTYPE %s\nENDHDR\n"
                % (w, h, depth, maximum, tupltype.encode())) + pack(values, maximum)
        expected = [round(v * 255 / maximum) for v in values]
        record(f"pam_{tupltype.lower()}_max{maximum}.pam", data, w, h, depth, expected)
    bw = [rng.randrange(2) for _ in range(w * h)]
    data = b"P7\nWIDTH %d\nHEIGHT %d\nDEPTH 1\nMAXVAL 1\nTUPLTYPE BLACKANDWHITE\nENDHDR\n" % (w, h) + bytes(bw)
    record("pam_blackandwhite.pam", data, w, h, 1, [255 if v else 0 for v in bw])


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):  # files only: jpeg/ and memory/ are other scripts' fixtures
        if old != ".gitkeep" and os.path.isfile(os.path.join(OUT, old)):
            os.remove(os.path.join(OUT, old))
    for depth in (1, 2, 4, 8, 16):
        png_fixture(f"png_gray{depth}.png", bitdepth=depth)
    for depth in (1, 4, 8, 16):
        png_fixture(f"png_gray{depth}_interlaced.png", bitdepth=depth, interlace=True)
    png_fixture("png_gray4_trns.png", bitdepth=4, transparent=9)
    png_fixture("png_gray16_trns.png", bitdepth=16, transparent=40000)
    for depth in (8, 16):
        png_fixture(f"png_rgb{depth}.png", greyscale=False, bitdepth=depth)
        png_fixture(f"png_rgb{depth}_interlaced.png", greyscale=False, bitdepth=depth, interlace=True)
        png_fixture(f"png_grayalpha{depth}.png", alpha=True, bitdepth=depth)
        png_fixture(f"png_rgba{depth}.png", greyscale=False, alpha=True, bitdepth=depth)
        png_fixture(f"png_rgba{depth}_interlaced.png", greyscale=False, alpha=True, bitdepth=depth, interlace=True)
    png_fixture("png_grayalpha8_interlaced.png", alpha=True, interlace=True)
    png_fixture("png_rgb8_trns.png", greyscale=False, transparent=(10, 20, 30))
    png_fixture("png_rgb8_split_idat.png", greyscale=False, chunk_limit=40)
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(min(n, 200))]
        png_fixture(f"png_palette{depth}.png", bitdepth=depth, palette=palette)
    palette = [(rng.randrange(256), rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(5)]
    palette += [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(9)]
    png_fixture("png_palette4_trns_interlaced.png", bitdepth=4, palette=palette, interlace=True)
    filters = set()
    for mode in ("L", "RGB", "RGBA", "LA"):
        filters |= png_filters_used(pillow_png(f"png_pillow_{mode.lower()}.png", mode))
    filters |= png_filters_used(all_filters_png("png_filters_rgb8.png", 2, 8, 3))
    filters |= png_filters_used(all_filters_png("png_filters_gray2.png", 0, 2, 1))
    filters |= png_filters_used(all_filters_png("png_filters_rgba16.png", 6, 16, 4))
    assert filters == {0, 1, 2, 3, 4}, f"fixtures use filters {sorted(filters)}; all five are wanted"
    bmp_fixtures()
    pnm_fixtures()
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"{len(manifest)} fixtures, {total} bytes, PNG filters covered: {sorted(filters)}")


main()
