// Fuzzes the NumPy readers: .npy arrays (header dict literal, types, sizes) and .npz archives
// in Keras's mnist.npz layout. Run: scripts/fuzz.sh NumPy 300
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs Datasets
// fuzz-seeds: Tests/DatasetsTests/Fixtures
// fuzz-max-len: 65536
import Datasets

private let limits = DatasetLimits(maxValues: 1 << 20, maxDecompressedBytes: 1 << 22)

@_cdecl("LLVMFuzzerTestOneInput")
public func numPyFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let array = try? NumPyArray(bytes: bytes, limits: limits) {
        precondition(array.values.count == array.shape.reduce(1, *), "values and shape disagree")
    }
    _ = try? NumPyArchive.arrays(bytes, limits: limits)
    _ = try? NumPyArchive.readKerasDataset(bytes, limits: limits)
    return 0
}
