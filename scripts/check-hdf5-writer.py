#!/usr/bin/env python3
"""Checks files written by our HDF5 writer with h5py (and so with the reference HDF5 library).

Runs the writer's randomised test with HDF5_WRITER_DUMP set, which leaves each written file
and a JSON description of its groups, datasets and attributes in a temporary directory; then
opens every file with h5py and compares members, shapes, dtypes, values and attributes.
Exits 1 on the first difference. Needs h5py and numpy.
Run: python3 scripts/check-hdf5-writer.py
"""
import glob, json, os, subprocess, sys, tempfile
import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = {"float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8", "uint8": "u1"}


def same(value, expected, what):
    if expected["dtype"] == "strings":
        assert value.dtype.kind == "S", f"{what}: dtype {value.dtype}, expected fixed-length bytes"
        got = [v.decode("utf-8") for v in np.ravel(value)]
    else:
        want = np.dtype(DTYPES[expected["dtype"]])
        assert value.dtype == want.newbyteorder("<"), f"{what}: dtype {value.dtype}, expected {want}"
        got = np.ravel(value).tolist()
    assert list(np.shape(value)) == expected["shape"], f"{what}: shape {np.shape(value)}, expected {expected['shape']}"
    assert got == expected["values"], f"{what}: values differ"


def main():
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, HDF5_WRITER_DUMP=folder)
        subprocess.run(["swift", "test", "--filter", "HDF5Tests.WriterTests/testRandomTreesReadBackIdentically"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        names = sorted(glob.glob(os.path.join(folder, "*.h5")))
        assert names, "the test wrote no files"
        for path in names:
            description = json.load(open(path[:-3] + ".json"))
            head = open(path, "rb").read(9)
            assert head[:8] == b"\x89HDF\r\n\x1a\n" and head[8] == 0, f"{path}: not superblock version 0"
            with h5py.File(path, "r") as f:
                for group, members in description["groups"].items():
                    assert sorted(f[group].keys(), key=lambda s: s.encode()) == members, f"{path} {group}: {list(f[group].keys())}"
                for name, expected in description["datasets"].items():
                    same(f[name][()], expected, f"{path} {name}")
                for group, attributes in description["attributes"].items():
                    for name, expected in attributes.items():
                        value = f[group].attrs[name]
                        same(np.asarray(value) if not isinstance(value, bytes) else np.bytes_(value), expected,
                             f"{path} {group}@{name}")
        print(f"check-hdf5-writer: {len(names)} files written by HDF5Writer read by h5py {h5py.version.version} "
              f"(HDF5 {h5py.version.hdf5_version}) exactly as written")


if __name__ == "__main__":
    sys.exit(main())
