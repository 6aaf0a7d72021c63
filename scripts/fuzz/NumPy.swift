// Fuzzes the NumPy readers: .npy arrays (header dict literal, types, sizes) and .npz archives
// in Keras's mnist.npz layout. Run: scripts/fuzz.sh NumPy 300
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs Datasets
// fuzz-seeds: Tests/DatasetsTests/Fixtures
// fuzz-max-len: 65536
import Datasets

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: DatasetError.self, body) }

private let limits = DatasetLimits(maxValues: 1 << 20, maxDecompressedBytes: 1 << 22)

@_cdecl("LLVMFuzzerTestOneInput")
public func numPyFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let array = attempt("NumPyArray", { try NumPyArray(bytes: bytes, limits: limits) }) {
        precondition(array.values.count == array.shape.reduce(1, *), "values and shape disagree")
    }
    _ = attempt("NumPyArchive.arrays", { try NumPyArchive.arrays(bytes, limits: limits) })
    _ = attempt("NumPyArchive.readKerasDataset", { try NumPyArchive.readKerasDataset(bytes, limits: limits) })
    return 0
}
