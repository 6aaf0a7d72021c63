// Fuzzes the Kaggle CSV reader (label,pixel0..pixelN rows), through DatasetFile so gzipped
// input and format detection are exercised too. A thrown DatasetError is the expected outcome
// for bad input; a trap, crash or leak is a bug. Run: scripts/fuzz.sh KaggleCSV 300
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs Datasets
// fuzz-seeds: Tests/DatasetsTests/Fixtures
// fuzz-max-len: 65536
import Datasets

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: DatasetError.self, body) }

/// Small images so that short inputs can form whole rows.
private let options = DatasetFile.Options(shape: ImageShape(height: 2, width: 2), classNames: ["a", "b", "c"],
                                          limits: DatasetLimits(maxValues: 1 << 20, maxDecompressedBytes: 1 << 22))

@_cdecl("LLVMFuzzerTestOneInput")
public func kaggleCSVFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let images = attempt("KaggleCSV.read", { try KaggleCSV.read(bytes, shape: options.shape, classNames: options.classNames, limits: options.limits) }) {
        precondition(images.count > 0 && images.labels.allSatisfy { $0 >= 0 && $0 < 3 }, "accepted rows must be valid")
        // What the writer makes of an accepted set reads back identically.
        precondition((try? KaggleCSV.read(KaggleCSV.encode(images), shape: options.shape, classNames: options.classNames)) == images,
                     "CSV round trip differs")
    }
    _ = attempt("DatasetFile.load", { try DatasetFile.load(bytes: bytes, options: options) })
    return 0
}
