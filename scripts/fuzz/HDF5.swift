// libFuzzer harness for the HDF5 reader: open arbitrary bytes, then list, read every
// attribute and every dataset. Thrown HDF5Errors are the expected outcome for damaged input;
// any other error type, a crash, trap, leak or sanitizer report is a finding.
// Run: scripts/fuzz.sh HDF5 600
// fuzz-modules: Compression HDF5
// fuzz-seeds: Tests/HDF5Tests/Fixtures
// fuzz-max-len: 131072
import HDF5

/// Small limits so hostile sizes are refused quickly instead of allocating gigabytes.
private let fuzzLimits = HDF5Limits(maxValueBytes: 1 << 24, maxEntries: 50_000)

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
@discardableResult
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: HDF5Error.self, message: \.description, body) }

@_cdecl("LLVMFuzzerTestOneInput")
public func hdf5FuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = attempt("HDF5File(bytes:)", { try HDF5File(bytes: bytes, limits: fuzzLimits) }) else { return 0 }
    attempt("root attributes") { try file.root.attributes() }
    attempt("root links") { try file.root.linkTargets() }
    attempt("node(at:)") { try file.node(at: "model_weights/dense/kernel:0") }
    attempt("walk") {
        try file.walk { node in
            switch node {
            case .group(let group):
                attempt("group attributes") { try group.attributes() }
                attempt("childNames") { try group.childNames() }
            case .dataset(let dataset):
                attempt("dataset attributes") { try dataset.attributes() }
                attempt("readValue") { try dataset.readValue() }
                if let floats = attempt("readFloats", { try dataset.readFloats() }), floats.count != dataset.elementCount {
                    fatalError("\(dataset.path): \(floats.count) floats for \(dataset.elementCount) elements")
                }
            }
        }
    }
    return 0
}
