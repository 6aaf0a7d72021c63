#!/usr/bin/env python3
"""Writes Tests/HDF5Tests/Fixtures: small HDF5 files covering every storage path the reader
implements, and expected.json with what h5py reads from them (every group's member order,
every dataset's shape, dtype and values, every attribute's value).

Also writes keras-trees.json: for each .h5 in ../shared/conformance/keras (when present), the
tree h5py lists (paths, shapes, dtypes, attribute names), so the Swift tests compare against
h5py without Python at test time.

Needs h5py and numpy. Run from anywhere: python3 scripts/make-hdf5-fixtures.py
"""
import json, os, glob
import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "HDF5Tests", "Fixtures")
SHARED_KERAS = os.path.join(os.path.dirname(ROOT), "shared", "conformance", "keras")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(7)


def attributes_of_every_kind(obj):
    """Numbers of every width and byte order, strings of every padding, arrays, scalars."""
    obj.attrs["i8"] = np.int8(-7)
    obj.attrs["u16_be"] = np.array([1, 2, 65535], dtype=">u2")
    obj.attrs["i32"] = np.array([[1, -2], [3, -4]], dtype="<i4")
    obj.attrs["i64_be"] = np.array([-(2**40)], dtype=">i8")
    obj.attrs["f16"] = np.array([0.5, -2.0, 65504.0, 6e-8], dtype="<f2")
    obj.attrs["f32_be"] = np.array([1.25, -3.5], dtype=">f4")
    obj.attrs["f64"] = np.float64(2.718281828459045)
    obj.attrs["bytes_scalar"] = np.bytes_("fixed")
    obj.attrs["bytes_array"] = np.array([b"conv2d/kernel:0", b"b"])
    obj.attrs["vlen_str"] = "variable-length ☃"
    obj.attrs["vlen_list"] = ["alpha", "beta", "gamma"]
    obj.attrs["bool"] = np.bool_(True)
    # Fixed-length strings with explicit padding kinds, through the low-level API.
    for name, pad in (("str_nullterm", h5py.h5t.STR_NULLTERM), ("str_nullpad", h5py.h5t.STR_NULLPAD),
                      ("str_spacepad", h5py.h5t.STR_SPACEPAD)):
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(8)
        tid.set_strpad(pad)
        space = h5py.h5s.create(h5py.h5s.SCALAR)
        attr = h5py.h5a.create(obj.id, name.encode(), tid, space)
        text = b"pad" + (b"   " if pad == h5py.h5t.STR_SPACEPAD else b"")
        attr.write(np.array(text, dtype="S8"))
    # An array datatype: each element is 3 floats.
    obj.attrs.create("array_type", np.array([(1.0, 2.0, 3.0), (4.0, 5.0, 6.0)], dtype="<f4"),
                     dtype=np.dtype(("<f4", (3,))))


def datasets_of_every_kind(f, latest):
    g = f.create_group("model_weights/dense")
    g.attrs["weight_names"] = np.array([b"dense/kernel:0", b"dense/bias:0"])
    g.create_dataset("kernel:0", data=rng.normal(size=(6, 4)).astype("float32"))
    g.create_dataset("bias:0", data=np.arange(4, dtype="float32"))
    f.create_dataset("f16", data=np.array([1.5, -0.25, 1e-5, 65504], dtype="<f2"))
    f.create_dataset("f64_be", data=np.linspace(-1, 1, 7).astype(">f8"))
    f.create_dataset("u32", data=np.arange(5, dtype="<u4") * 1000000)
    f.create_dataset("scalar", data=np.float32(-4.5))
    f.create_dataset("empty", shape=(0, 3), dtype="float32")
    f.create_dataset("gzip", data=rng.normal(size=(9, 7)).astype("float32"), chunks=(4, 3), compression="gzip")
    f.create_dataset("shuffle_fletcher", data=np.arange(30, dtype="int16").reshape(5, 6), chunks=(2, 4),
                     shuffle=True, fletcher32=True)
    f.create_dataset("shuffle_gzip_fletcher", data=rng.normal(size=(25,)), chunks=(6,), shuffle=True,
                     compression="gzip", fletcher32=True)
    # Chunks never written read as the fill value.
    sparse = f.create_dataset("fill_value", shape=(6, 6), chunks=(3, 3), dtype="int32", fillvalue=-1)
    sparse[0:3, 0:3] = 7
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    dset = h5py.h5d.create(f.id, b"compact", h5py.h5t.STD_I16BE, h5py.h5s.create_simple((2, 2)), dcpl=dcpl)
    dset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([[1, -2], [3, -4]], dtype=">i2"))
    f.create_dataset("timed", data=np.arange(3, dtype="float32"), track_times=True)  # modification time
    f["soft_to_bias"] = h5py.SoftLink("/model_weights/dense/bias:0")
    f["external"] = h5py.ExternalLink("elsewhere.h5", "/data")
    if latest:
        # Layout version 4 chunk indexes.
        f.create_dataset("single_chunk", data=np.arange(12, dtype="float32").reshape(3, 4), chunks=(3, 4))
        f.create_dataset("single_chunk_gzip", data=np.arange(12, dtype="float32").reshape(3, 4), chunks=(3, 4),
                         compression="gzip")
        f.create_dataset("fixed_array", data=rng.normal(size=(10, 9)).astype("float32"), chunks=(3, 4))
        f.create_dataset("fixed_array_gzip", data=rng.normal(size=(10, 9)).astype("float32"), chunks=(3, 4),
                         compression="gzip")
        f.create_dataset("fixed_array_paged", data=np.arange(1100, dtype="int32"), chunks=(1,))
        f.create_dataset("extensible", data=np.arange(300, dtype="float32").reshape(100, 3), chunks=(2, 3),
                         maxshape=(None, 3))
        f.create_dataset("extensible_gzip", data=np.arange(70, dtype="float64").reshape(7, 10), chunks=(1, 4),
                         maxshape=(7, None), compression="gzip")
        f.create_dataset("btree_v2", data=np.arange(48, dtype="int16").reshape(6, 8), chunks=(4, 3),
                         maxshape=(None, None))
        f.create_dataset("btree_v2_gzip", data=np.arange(48, dtype="float32").reshape(6, 8), chunks=(4, 3),
                         maxshape=(None, None), compression="gzip")
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((2, 2))
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        dset = h5py.h5d.create(f.id, b"implicit", h5py.h5t.IEEE_F32LE, h5py.h5s.create_simple((5, 3)), dcpl=dcpl)
        dset.write(h5py.h5s.ALL, h5py.h5s.ALL, np.arange(15, dtype="float32").reshape(5, 3))
        many = f.create_group("dense_group")
        for i in range(30):
            many.create_dataset(f"item{i:02d}", data=np.array([i], dtype="int8"))
        for i in range(20):
            many.attrs[f"attr{i:02d}"] = np.int32(i)
        f.attrs["large_attribute"] = np.arange(17000, dtype="float32")  # > 64 KiB: dense, huge heap object
    else:
        many = f.create_group("big_group")
        for i in range(40):
            many.create_dataset(f"item{i:02d}", data=np.array([i], dtype="int8"))


FILES = {
    "earliest.h5": dict(kwargs={}, latest=False),
    "latest.h5": dict(kwargs={"libver": "latest"}, latest=True),
    "track_order.h5": dict(kwargs={"track_order": True}, latest=False),
    "userblock.h5": dict(kwargs={"userblock_size": 1024}, latest=False),
    "v108.h5": dict(kwargs={"libver": ("v108", "v108")}, latest=False),
}


def write_fixtures():
    for name, spec in FILES.items():
        path = os.path.join(OUT, name)
        with h5py.File(path, "w", **spec["kwargs"]) as f:
            attributes_of_every_kind(f)
            datasets_of_every_kind(f, spec["latest"])
    write_superblock_v1(os.path.join(OUT, "superblock_v1.h5"))


def write_superblock_v1(path):
    """Superblock version 1 (libhdf5 writes it only for a non-default chunk B-tree K, which h5py
    cannot set): rewrite a version 0 file's superblock as version 1. It is 4 bytes longer, so
    the root object header it would overlap is first copied to the end of the file."""
    import struct
    with h5py.File(path, "w") as f:
        f.create_dataset("values", data=np.arange(10, dtype="float32"), chunks=(4,))
        f.attrs["note"] = "superblock v1"
    data = bytearray(open(path, "rb").read())
    assert data[8] == 0 and data[13] == 8 and data[14] == 8, "expected a v0 superblock with 8-byte fields"
    leaf_k, internal_k, flags = struct.unpack_from("<HHI", data, 16)
    base, freespace, eof, driver = struct.unpack_from("<QQQQ", data, 24)
    name_offset, root_header, cache_type, _reserved = struct.unpack_from("<QQII", data, 56)
    scratch = bytes(data[80:96])
    assert root_header == 96 and data[96] == 1, "expected the version 1 root object header at 96"
    header_size = struct.unpack_from("<I", data, 96 + 8)[0]
    root_copy = bytes(data[96:96 + 16 + header_size])
    new_root = (len(data) + 7) // 8 * 8
    data += bytes(new_root - len(data)) + root_copy
    superblock = bytearray(data[0:8]) + bytes([1, 0, 0, 0, 0, 8, 8, 0])
    superblock += struct.pack("<HHIHH", leaf_k, internal_k, flags, 32, 0)
    superblock += struct.pack("<QQQQ", base, freespace, len(data), driver)
    superblock += struct.pack("<QQII", name_offset, new_root, cache_type, 0) + scratch
    data[0:len(superblock)] = superblock
    open(path, "wb").write(bytes(data))


def plain(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        flat = value.ravel().tolist()
        if len(flat) > 200 and value.dtype.kind in "iuf":  # long numeric arrays: length and sum
            return {"len": len(flat), "sum": float(np.sum(value, dtype="float64"))}
        return [plain(v) for v in flat]
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (np.generic,)):
        return plain(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def describe(path):
    out = {"groups": {}, "datasets": {}, "attributes": {}}
    with h5py.File(path, "r") as f:
        def attrs(name, obj):
            out["attributes"][name] = {k: {"value": plain(v), "shape": list(np.shape(v))} for k, v in obj.attrs.items()}
            out["attributes"][name]["__order__"] = list(obj.attrs.keys())

        def visit(name, obj):
            name = "/" + name
            attrs(name, obj)
            if isinstance(obj, h5py.Group):
                out["groups"][name] = list(obj.keys())
            else:
                out["datasets"][name] = {"shape": list(obj.shape), "dtype": str(obj.dtype),
                                         "values": plain(np.asarray(obj[()]))}
        attrs("/", f)
        out["groups"]["/"] = list(f.keys())
        f.visititems(visit)
    return out


def keras_trees():
    trees = {}
    for path in sorted(glob.glob(os.path.join(SHARED_KERAS, "*.h5"))):
        entries = []
        with h5py.File(path, "r") as f:
            entries.append({"path": "/", "kind": "group", "attributes": list(f.attrs.keys())})
            def visit(name, obj):
                entry = {"path": "/" + name, "attributes": list(obj.attrs.keys())}
                if isinstance(obj, h5py.Dataset):
                    entry.update(kind="dataset", shape=list(obj.shape), dtype=str(obj.dtype),
                                 sum=float(np.asarray(obj[()], dtype="float64").sum()))
                else:
                    entry.update(kind="group", children=list(obj.keys()))
                entries.append(entry)
            f.visititems(visit)
            entries[0]["children"] = list(f.keys())
        trees[os.path.basename(path)] = entries
    return trees


if __name__ == "__main__":
    write_fixtures()
    expected = {name: describe(os.path.join(OUT, name)) for name in list(FILES) + ["superblock_v1.h5"]}
    with open(os.path.join(OUT, "expected.json"), "w") as handle:
        json.dump(expected, handle, indent=0, sort_keys=True)
    trees = keras_trees()
    if trees:
        with open(os.path.join(OUT, "keras-trees.json"), "w") as handle:
            json.dump(trees, handle, indent=0, sort_keys=True)
    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(OUT, "*")))
    print(sorted(os.listdir(OUT)), f"{total} bytes")
