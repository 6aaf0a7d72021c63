"""TFRecord framing for the test scripts, written independently of max-server's Swift reader:
CRC-32C (bitwise, the definition), TFRecord's masking, record offsets, and a header claiming a
length, so scripts can damage files in the ways the reader must refuse."""
import struct


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def record_offsets(data):
    """Where each record of a TFRecord file starts."""
    offsets, offset = [], 0
    while offset < len(data):
        offsets.append(offset)
        offset += 12 + struct.unpack_from("<Q", data, offset)[0] + 4
    return offsets


def claim_length(data, offset, length):
    """A copy of `data` whose record at `offset` claims `length` bytes, with a valid length CRC."""
    header = struct.pack("<Q", length)
    damaged = bytearray(data)
    damaged[offset:offset + 12] = header + struct.pack("<I", masked(crc32c(header)))
    return damaged
