// libFuzzer harness for the HDF5 reader: open arbitrary bytes, then list, read every
// attribute and every dataset. Any crash, trap, leak or sanitizer report is a bug; thrown
// HDF5Errors are the expected outcome for damaged input. Run: scripts/fuzz.sh HDF5 600
// fuzz-modules: Compression HDF5
// fuzz-seeds: Tests/HDF5Tests/Fixtures
// fuzz-max-len: 131072
import HDF5

/// Small limits so hostile sizes are refused quickly instead of allocating gigabytes.
private let fuzzLimits = HDF5Limits(maxValueBytes: 1 << 24, maxEntries: 50_000)

@_cdecl("LLVMFuzzerTestOneInput")
public func hdf5FuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? HDF5File(bytes: bytes, limits: fuzzLimits) else { return 0 }
    _ = try? file.root.attributes()
    _ = try? file.root.linkTargets()
    _ = try? file.node(at: "model_weights/dense/kernel:0")
    try? file.walk { node in
        switch node {
        case .group(let group):
            _ = try? group.attributes()
            _ = try? group.childNames()
        case .dataset(let dataset):
            _ = try? dataset.attributes()
            _ = try? dataset.readValue()
            _ = try? dataset.readFloats()
        }
    }
    return 0
}
