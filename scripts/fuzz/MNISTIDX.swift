// Fuzzes the IDX reader: the input is split at its first byte's value into an images file and
// a labels file, so both parsers and their cross-checks see arbitrary data.
// Run: scripts/fuzz.sh MNISTIDX 300
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs Datasets
// fuzz-seeds: Tests/DatasetsTests/Fixtures
// fuzz-max-len: 65536
import Datasets

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: DatasetError.self, body) }

private let limits = DatasetLimits(maxValues: 1 << 20, maxDecompressedBytes: 1 << 22)

@_cdecl("LLVMFuzzerTestOneInput")
public func mnistIDXFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    _ = attempt("MNISTIDX.parse", { try MNISTIDX.parse(bytes, limits: limits) })
    guard let first = bytes.first else { return 0 }
    let cut = min(Int(first) * 8, bytes.count - 1)
    let images = Array(bytes[1..<(1 + cut)]), labels = Array(bytes[(1 + cut)...])
    if let set = attempt("MNISTIDX.read", { try MNISTIDX.read(images: images, labels: labels, limits: limits) }) {
        let (imageFile, labelFile) = MNISTIDX.encode(set)
        if case .bytes = set.pixels {
            precondition((try? MNISTIDX.read(images: imageFile, labels: labelFile, limits: limits)) == set, "IDX round trip differs")
        }
    }
    return 0
}
