#!/usr/bin/env python3
"""Fixtures for issue 13's image work, written under Tests/ImageCodecsTests/Fixtures/:

  memory/gradient_2000x1500_420.jpg  a large 4:2:0 JPEG whose decode memory the tests measure
  formats/*.gif, formats/*.tif       GIF and baseline TIFF files covering every decoder path,
  samples/digit-8.gif, .tif,         the sample digit as GIF, as TIFF and as a 16-bit gray PNG
  samples/digit-8-16bit.png          (its ink on a mid-gray field: clipped at 255 it would be
                                     blank), which scripts/robustness posts to the server
  formats/expected.json              and for each, what ImageDecoder.decode must return:
                                     width, height, layout and the SHA-256 of the samples;
                                     16-bit files also the SHA-256 of decodeWide's samples
                                     (big-endian), for `max-server decode --out x.pam`.

Expected pixels are Pillow's: each file is opened with Pillow and converted to L, LA, RGB or RGBA
(RGBA when a GIF frame declares a transparent index), with one deliberate difference: 16-bit
grayscale (Pillow's I;16) is scaled to 8 bits, v * 255 / 65535 rounded, where Pillow's
convert("L") clips at 255; for those, Pillow's own 16-bit values are read and scaled.

GIFs are written by the small encoder below (so frames, palettes, interlace and a full LZW
table without a clear code can be set exactly) and by Pillow; TIFFs by Pillow (libtiff: none,
PackBits, LZW, deflate, predictor) and by the writer below (big-endian, 16-bit RGB, 2/4-bit gray
and palette, WhiteIsZero, planar, premultiplied alpha). Run from the repository root:
python3 scripts/make-format-fixtures.py (needs Pillow built with libtiff).
"""
import hashlib
import io
import json
import os
import random
import struct
import zlib

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ImageCodecsTests", "Fixtures")
FORMATS = os.path.join(ROOT, "formats")
rng = random.Random(20261201)
manifest = {}


def write_memory_fixtures():
    folder = os.path.join(ROOT, "memory")
    os.makedirs(folder, exist_ok=True)
    width, height = 2000, 1500
    # A smooth gradient compresses to a few kilobytes yet has every component present.
    image = Image.linear_gradient("L").resize((width, height))
    colour = Image.merge("RGB", (image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), image.rotate(180)))
    colour.save(os.path.join(folder, "gradient_2000x1500_420.jpg"), quality=10, subsampling=2)


# MARK: expectations

def flat_values(im):
    return list(im.get_flattened_data() if hasattr(im, "get_flattened_data") else im.getdata())


def samples_of(values):
    """Pixel tuples (or numbers) as one flat list."""
    flat = []
    for value in values:
        flat.extend(value if isinstance(value, tuple) else (value,))
    return flat


def expected_from_pillow(data, gray16=False, rgba=None):
    """What Pillow gives for `data`, as (layout, 8-bit samples, 16-bit samples or None)."""
    im = Image.open(io.BytesIO(data))
    im.load()
    if gray16:
        values = flat_values(im)
        return "gray", [round(v * 255 / 65535) for v in values], values
    if im.mode == "P":
        wants_alpha = rgba if rgba is not None else "transparency" in im.info
        mode = "RGBA" if wants_alpha else "RGB"
    elif im.mode in ("1", "L", "I;16", "I"):
        mode = "L"
    elif im.mode in ("LA", "La"):
        mode = "LA"
    elif im.mode in ("RGBA", "RGBa"):
        mode = "RGBA"
    else:
        mode = "RGB"
    converted = im.convert(mode)
    layout = {"L": "gray", "LA": "grayAlpha", "RGB": "rgb", "RGBA": "rgba"}[mode]
    return layout, list(converted.tobytes()), None


def record(name, data, width, height, layout, samples, wide=None):
    with open(os.path.join(FORMATS, name), "wb") as out:
        out.write(data)
    channels = {"gray": 1, "grayAlpha": 2, "rgb": 3, "rgba": 4}[layout]
    assert len(samples) == width * height * channels, (name, len(samples))
    entry = {"width": width, "height": height, "layout": layout,
             "sha256": hashlib.sha256(bytes(samples)).hexdigest()}
    if wide is not None:
        assert len(wide) == len(samples), name
        entry["wideSha256"] = hashlib.sha256(b"".join(v.to_bytes(2, "big") for v in wide)).hexdigest()
    manifest[name] = entry


def check_and_record(name, data, gray16=False, rgba=None, wide=None):
    im = Image.open(io.BytesIO(data))
    layout, samples, pillow_wide = expected_from_pillow(data, gray16=gray16, rgba=rgba)
    if wide is not None and pillow_wide is not None:
        assert pillow_wide == wide, f"{name}: Pillow reads other 16-bit values than were written"
    record(name, data, im.size[0], im.size[1], layout, samples, wide if wide is not None else pillow_wide)


# MARK: GIF

def lzw_encode_gif(indices, min_code_size, clear_when_full=True):
    """GIF LZW, codes packed least significant bit first. With clear_when_full False the table
    stays full (4096 codes) and 12-bit codes go on without a clear: the deferred clear decoders
    must handle."""
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    data, bits, count = bytearray(), 0, 0

    def emit(code, size):
        nonlocal bits, count
        bits |= code << count
        count += size
        while count >= 8:
            data.append(bits & 0xFF)
            bits >>= 8
            count -= 8

    def fresh():
        return {(i,): i for i in range(clear)}, end + 1, min_code_size + 1

    table, next_code, size = fresh()
    emit(clear, size)
    current = ()
    for index in indices:
        candidate = current + (index,)
        if candidate in table:
            current = candidate
            continue
        emit(table[current], size)
        if next_code < 4096:
            table[candidate] = next_code
            next_code += 1
            if next_code > (1 << size) and size < 12:
                size += 1
        elif clear_when_full:
            emit(clear, size)
            table, next_code, size = fresh()
        current = (index,)
    if current:
        emit(table[current], size)
    emit(end, size)
    if count:
        data.append(bits & 0xFF)
    return bytes(data)


def gif_file(width, height, frames, global_palette=None, version=b"GIF89a", extensions=b""):
    """frames: dicts with left, top, w, h, indices and optionally palette, transparent,
    interlace, min_code_size, clear_when_full."""
    def table(palette):
        bits = max(1, (len(palette) - 1).bit_length())
        return bits, b"".join(bytes(c) for c in palette + [(0, 0, 0)] * ((1 << bits) - len(palette)))

    out = bytearray(version)
    flags = 0
    if global_palette:
        bits, _ = table(global_palette)
        flags = 0x80 | ((bits - 1) << 4) | (bits - 1)
    out += struct.pack("<HHBBB", width, height, flags, 0, 0)
    if global_palette:
        out += table(global_palette)[1]
    out += extensions
    for frame in frames:
        if "transparent" in frame:
            out += b"\x21\xF9\x04\x01\x00\x00" + bytes([frame["transparent"]]) + b"\x00"
        image_flags, local = 0, b""
        if frame.get("palette"):
            bits, local = table(frame["palette"])
            image_flags |= 0x80 | (bits - 1)
        if frame.get("interlace"):
            image_flags |= 0x40
        out += b"\x2C" + struct.pack("<HHHHB", frame["left"], frame["top"], frame["w"], frame["h"], image_flags) + local
        palette = frame.get("palette") or global_palette
        min_code_size = frame.get("min_code_size", max(2, (len(palette) - 1).bit_length()))
        indices = frame["indices"]
        if frame.get("interlace"):
            rows = [indices[y * frame["w"]:(y + 1) * frame["w"]] for y in range(frame["h"])]
            order = [y for start, step in ((0, 8), (4, 8), (2, 4), (1, 2)) for y in range(start, frame["h"], step)]
            indices = [value for y in order for value in rows[y]]
        compressed = lzw_encode_gif(indices, min_code_size, frame.get("clear_when_full", True))
        out.append(min_code_size)
        for start in range(0, len(compressed), 255):
            block = compressed[start:start + 255]
            out += bytes([len(block)]) + block
        out += b"\x00"
    out += b"\x3B"
    return bytes(out)


def palette(count):
    return [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(count)]


def noisy_indices(width, height, colours, noise=0.3):
    return [((x // 3 + y // 2) % colours) if rng.random() > noise else rng.randrange(colours)
            for y in range(height) for x in range(width)]


def write_gif_fixtures():
    colours256 = palette(256)
    record_gif = lambda name, data, **kw: check_and_record(name, data, **kw)  # noqa: E731
    record_gif("gif_256_colours.gif", gif_file(32, 24, [dict(left=0, top=0, w=32, h=24, indices=noisy_indices(32, 24, 256))], colours256))
    two = palette(2)
    record_gif("gif_2_colours.gif", gif_file(19, 7, [dict(left=0, top=0, w=19, h=7, indices=noisy_indices(19, 7, 2))], two))
    record_gif("gif_87a.gif", gif_file(9, 5, [dict(left=0, top=0, w=9, h=5, indices=noisy_indices(9, 5, 16))], palette(16),
                                        version=b"GIF87a"))
    sixteen = palette(16)
    record_gif("gif_transparent.gif", gif_file(12, 9, [dict(left=0, top=0, w=12, h=9, indices=noisy_indices(12, 9, 16),
                                                             transparent=3)], sixteen))
    record_gif("gif_interlaced.gif", gif_file(11, 37, [dict(left=0, top=0, w=11, h=37, indices=noisy_indices(11, 37, 64),
                                                             interlace=True)], palette(64)))
    record_gif("gif_local_palette.gif", gif_file(10, 6, [dict(left=0, top=0, w=10, h=6, indices=noisy_indices(10, 6, 8),
                                                               palette=palette(8))], palette(4)))
    record_gif("gif_frame_offset.gif", gif_file(20, 15, [dict(left=5, top=3, w=8, h=6, indices=noisy_indices(8, 6, 16))], sixteen))
    record_gif("gif_frame_offset_transparent.gif", gif_file(20, 15, [dict(left=5, top=3, w=8, h=6,
                                                                           indices=noisy_indices(8, 6, 16), transparent=2)], sixteen))
    record_gif("gif_animated.gif", gif_file(8, 8, [dict(left=0, top=0, w=8, h=8, indices=noisy_indices(8, 8, 16)),
                                                   dict(left=0, top=0, w=8, h=8, indices=[1] * 64)], sixteen))
    # Comment and application (NETSCAPE loop) extensions before the image.
    extensions = (b"\x21\xFE\x0Bhello there\x00"
                  + b"\x21\xFF\x0BNETSCAPE2.0\x03\x01\x00\x00\x00")
    record_gif("gif_extensions.gif", gif_file(6, 6, [dict(left=0, top=0, w=6, h=6, indices=noisy_indices(6, 6, 4))],
                                              palette(4), extensions=extensions))
    # Enough noise to fill the 4096-entry table: with clears, and without (deferred clear).
    big = noisy_indices(100, 64, 256, noise=0.9)
    record_gif("gif_table_full_clear.gif", gif_file(100, 64, [dict(left=0, top=0, w=100, h=64, indices=big)], colours256))
    record_gif("gif_table_full_no_clear.gif", gif_file(100, 64, [dict(left=0, top=0, w=100, h=64, indices=big,
                                                                        clear_when_full=False)], colours256))
    # Pillow's own encoder, on a photo-like RGB picture.
    picture = Image.merge("RGB", [Image.linear_gradient("L").resize((48, 36)).rotate(angle) for angle in (0, 90, 180)])
    buffer = io.BytesIO()
    picture.save(buffer, "GIF")
    record_gif("gif_pillow.gif", buffer.getvalue())


# MARK: TIFF

def tiff_file(width, height, bits, samples_per_pixel, photometric, rows, *, big_endian=False, compression=1,
              rows_per_strip=None, planar=False, extra_samples=None, colormap=None, predictor=False):
    """A baseline TIFF from `rows` (lists of sample values, chunky), written by hand."""
    endian = ">" if big_endian else "<"
    rows_per_strip = rows_per_strip or height

    def pack_row(values):
        if bits == 16:
            return struct.pack(f"{endian}{len(values)}H", *values)
        if bits == 8:
            return bytes(values)
        out, acc, filled = bytearray(), 0, 0
        for value in values:
            acc = acc << bits | value
            filled += bits
            if filled == 8:
                out.append(acc)
                acc, filled = 0, 0
        if filled:
            out.append(acc << (8 - filled))
        return bytes(out)

    def predicted(values, per_pixel):
        if not predictor:
            return values
        modulus = 1 << bits
        return values[:per_pixel] + [(values[i] - values[i - per_pixel]) % modulus for i in range(per_pixel, len(values))]

    planes = [[row[plane::samples_per_pixel] for row in rows] for plane in range(samples_per_pixel)] if planar else [rows]
    per_pixel = 1 if planar else samples_per_pixel
    strips = []
    for plane_rows in planes:
        for first in range(0, height, rows_per_strip):
            raw = b"".join(pack_row(predicted(row, per_pixel)) for row in plane_rows[first:first + rows_per_strip])
            if compression == 8:
                raw = zlib.compress(raw)
            elif compression == 32773:
                raw = packbits(raw)
            strips.append(raw)
    entries = [(256, 3, [width]), (257, 3, [height]), (258, 3, [bits] * samples_per_pixel), (259, 3, [compression]),
               (262, 3, [photometric]), (273, 4, None), (277, 3, [samples_per_pixel]), (278, 3, [rows_per_strip]),
               (279, 4, [len(strip) for strip in strips]), (284, 3, [2 if planar else 1])]
    if predictor:
        entries.append((317, 3, [2]))
    if colormap:
        entries.append((320, 3, colormap))
    if extra_samples is not None:
        entries.append((338, 3, [extra_samples]))
    entries.sort()
    header_size, entry_count = 8, len(entries)
    ifd_size = 2 + 12 * entry_count + 4
    data_start = header_size + ifd_size
    blobs, offsets = bytearray(), {}
    strip_start = data_start
    for tag, kind, values in entries:
        if tag == 273 or values is None:
            continue
        size = 2 if kind == 3 else 4
        if len(values) * size > 4:
            offsets[tag] = data_start + len(blobs)
            blobs += struct.pack(f"{endian}{len(values)}{'H' if kind == 3 else 'I'}", *values)
    strip_offsets, position = [], data_start + len(blobs) + (4 * len(strips) if len(strips) > 1 else 0)
    for strip in strips:
        strip_offsets.append(position)
        position += len(strip)
    if len(strips) > 1:
        offsets[273] = data_start + len(blobs)
        blobs += struct.pack(f"{endian}{len(strips)}I", *strip_offsets)
    out = bytearray(b"MM\x00\x2a" if big_endian else b"II\x2a\x00") + struct.pack(f"{endian}I", header_size)
    out += struct.pack(f"{endian}H", entry_count)
    for tag, kind, values in entries:
        if tag == 273:
            values = strip_offsets
            kind = 4
        size = 2 if kind == 3 else 4
        out += struct.pack(f"{endian}HHI", tag, kind, len(values))
        if tag in offsets:
            out += struct.pack(f"{endian}I", offsets[tag])
        else:
            inline = struct.pack(f"{endian}{len(values)}{'H' if kind == 3 else 'I'}", *values)
            out += inline + b"\x00" * (4 - len(inline))
    out += struct.pack(f"{endian}I", 0)
    out += blobs
    for strip in strips:
        out += strip
    return bytes(out)


def packbits(data):
    """PackBits: runs of 3+ equal bytes as (1-n, byte), the rest as literals of up to 128."""
    out, index = bytearray(), 0
    while index < len(data):
        run = 1
        while index + run < len(data) and run < 128 and data[index + run] == data[index]:
            run += 1
        if run >= 3:
            out += bytes([(1 - run) & 0xFF, data[index]])
            index += run
            continue
        start = index
        while index < len(data) and index - start < 128:
            if index + 2 < len(data) and data[index] == data[index + 1] == data[index + 2]:
                break
            index += 1
        out += bytes([index - start - 1]) + data[start:index]
    return bytes(out)


def sample_rows(width, height, channels, maximum):
    return [[((x * 37 + y * 23 + c * 71) % (maximum + 1)) if rng.random() < 0.6 else rng.randint(0, maximum)
             for x in range(width) for c in range(channels)] for y in range(height)]


def write_tiff_fixtures():
    w, h = 37, 29  # odd: partial bytes at 1/2/4 bits; several strips below
    pictures = {mode: Image.frombytes(mode, (w, h), bytes(v for row in sample_rows(w, h, n, 255) for v in row))
                for mode, n in (("L", 1), ("RGB", 3), ("RGBA", 4), ("LA", 2))}
    pictures["1"] = pictures["L"].convert("1")
    pictures["P"] = pictures["RGB"].quantize(colors=200)
    for compression, short in (("raw", "raw"), ("packbits", "packbits"), ("tiff_lzw", "lzw"), ("tiff_adobe_deflate", "deflate")):
        for mode, picture in pictures.items():
            buffer = io.BytesIO()
            picture.save(buffer, "TIFF", compression=compression, tiffinfo={278: 7})  # 7 rows a strip
            check_and_record(f"tiff_pillow_{mode.lower()}_{short}.tif", buffer.getvalue())
    for compression, short in (("tiff_lzw", "lzw"), ("tiff_adobe_deflate", "deflate")):
        buffer = io.BytesIO()
        pictures["RGB"].save(buffer, "TIFF", compression=compression, tiffinfo={317: 2, 278: 10})
        check_and_record(f"tiff_pillow_rgb_{short}_predictor.tif", buffer.getvalue())
    gray16 = Image.new("I;16", (w, h))
    values16 = [v for row in sample_rows(w, h, 1, 65535) for v in row]
    values16[:6] = [0, 1, 128, 255, 256, 65535]
    gray16.putdata(values16)
    for compression, short in (("raw", "raw"), ("tiff_lzw", "lzw"), ("tiff_adobe_deflate", "deflate")):
        buffer = io.BytesIO()
        gray16.save(buffer, "TIFF", compression=compression)
        check_and_record(f"tiff_pillow_gray16_{short}.tif", buffer.getvalue(), gray16=True, wide=values16)
    buffer = io.BytesIO()
    gray16.save(buffer, "TIFF", compression="tiff_lzw", tiffinfo={317: 2})
    check_and_record("tiff_pillow_gray16_lzw_predictor.tif", buffer.getvalue(), gray16=True, wide=values16)

    # Written by hand: what Pillow's writer does not make.
    rgb16 = sample_rows(w, h, 3, 65535)
    for big_endian in (False, True):
        for compression, short in ((1, "raw"), (8, "deflate"), (32773, "packbits")):
            order = "mm" if big_endian else "ii"
            data = tiff_file(w, h, 16, 3, 2, rgb16, big_endian=big_endian, compression=compression, rows_per_strip=8)
            check_and_record(f"tiff_rgb16_{short}_{order}.tif", data, wide=[v for row in rgb16 for v in row])
    data = tiff_file(w, h, 16, 3, 2, rgb16, compression=8, rows_per_strip=8, predictor=True)
    check_and_record("tiff_rgb16_deflate_predictor.tif", data, wide=[v for row in rgb16 for v in row])
    gray16_rows = [values16[y * w:(y + 1) * w] for y in range(h)]
    data = tiff_file(w, h, 16, 1, 1, gray16_rows, big_endian=True, rows_per_strip=5)
    check_and_record("tiff_gray16_mm.tif", data, gray16=True, wide=values16)
    for bits in (2, 4):
        rows = sample_rows(w, h, 1, (1 << bits) - 1)
        check_and_record(f"tiff_gray{bits}.tif", tiff_file(w, h, bits, 1, 1, rows, rows_per_strip=6))
        colormap_entries = 1 << bits
        colormap = [rng.randrange(65536) for _ in range(3 * colormap_entries)]
        check_and_record(f"tiff_palette{bits}.tif", tiff_file(w, h, bits, 1, 3, rows, colormap=colormap, compression=32773))
    rows = sample_rows(w, h, 1, 255)
    check_and_record("tiff_gray8_white_is_zero.tif", tiff_file(w, h, 8, 1, 0, rows, compression=8))
    bilevel = sample_rows(w, h, 1, 1)
    check_and_record("tiff_bilevel_white_is_zero.tif", tiff_file(w, h, 1, 1, 0, bilevel, big_endian=True))
    rgb = sample_rows(w, h, 3, 255)
    check_and_record("tiff_rgb8_planar.tif", tiff_file(w, h, 8, 3, 2, rgb, planar=True, rows_per_strip=10))
    check_and_record("tiff_rgb8_mm_packbits.tif", tiff_file(w, h, 8, 3, 2, rgb, big_endian=True, compression=32773, rows_per_strip=4))
    rgba = sample_rows(w, h, 4, 255)
    for row in rgba:  # premultiplied: no colour sample above its alpha
        for x in range(w):
            alpha = row[x * 4 + 3]
            for c in range(3):
                row[x * 4 + c] = min(row[x * 4 + c], alpha)
    check_and_record("tiff_rgba8_premultiplied.tif", tiff_file(w, h, 8, 4, 2, rgba, extra_samples=1))
    check_and_record("tiff_rgba8_unassociated_mm.tif", tiff_file(w, h, 8, 4, 2, sample_rows(w, h, 4, 255), big_endian=True,
                                                                 extra_samples=2, compression=8))


def write_samples():
    samples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples")
    digit = Image.open(os.path.join(samples, "digit-8.png")).convert("L")
    digit.save(os.path.join(samples, "digit-8.gif"))
    digit.save(os.path.join(samples, "digit-8.tif"), compression="tiff_lzw")
    wide = Image.new("I;16", digit.size)
    wide.putdata([20000 + value * 150 for value in flat_values(digit)])
    wide.save(os.path.join(samples, "digit-8-16bit.png"))


def main():
    write_memory_fixtures()
    write_samples()
    os.makedirs(FORMATS, exist_ok=True)
    for old in os.listdir(FORMATS):
        os.remove(os.path.join(FORMATS, old))
    write_gif_fixtures()
    write_tiff_fixtures()
    with open(os.path.join(FORMATS, "expected.json"), "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(FORMATS, name)) for name in os.listdir(FORMATS))
    print(f"{len(manifest)} GIF and TIFF fixtures, {total} bytes")


if __name__ == "__main__":
    main()
