// Fuzzes the TFRecord reader: record framing (lengths, both masked CRC-32Cs), then each record
// as a tf.train.Example mapped to an image and a label (raw bytes, PNG/JPEG, float and int64
// lists), through DatasetFile so gzip and format detection are exercised too. A thrown
// DatasetError is the expected outcome for bad input; a trap, crash, leak or an allocation
// beyond the limits is a bug. The checksums make random bytes fail early, so the harness also
// reframes the input: it splits it into records with valid CRCs, which reaches the Example and
// image stages. Run: scripts/fuzz.sh TFRecord 600
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs Datasets
// fuzz-seeds: Tests/DatasetsTests/Fixtures/tfrecord Tests/DatasetsTests/Fixtures/protobuf
// fuzz-max-len: 65536
import Datasets

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: DatasetError.self, body) }

private let options = DatasetFile.Options(shape: ImageShape(height: 28, width: 28), classNames: LabelledImages.digitClassNames(),
                                          limits: DatasetLimits(maxValues: 1 << 20, maxDecompressedBytes: 1 << 22))

private func check(_ images: LabelledImages) {
    precondition(images.count > 0, "an accepted file holds images")
    precondition(images.pixels.count == images.count * images.shape.valueCount, "pixels and shape disagree")
    precondition(images.labels.allSatisfy { $0 >= 0 && $0 < 10 }, "labels are classes")
    // What the writer makes of an accepted set reads back identically (raw layout).
    if let file = try? TFRecordImages.encode(images) {
        precondition((try? TFRecordImages.read(file, shape: images.shape, limits: options.limits)) == images, "raw round trip differs")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func tfRecordFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    if let ranges = attempt("TFRecord.records", { try TFRecord.records(in: bytes) }) {
        var end = 0
        for range in ranges {
            precondition(range.lowerBound == end + TFRecord.headerSize && range.upperBound + TFRecord.footerSize <= bytes.count,
                         "records tile the file")
            end = range.upperBound + TFRecord.footerSize
        }
        precondition(end == bytes.count, "records cover the file")
    }
    if let splits = attempt("DatasetFile.load", { try DatasetFile.load(bytes: bytes, options: options) }) { check(splits.training) }
    // The same bytes as records with valid framing: the first byte says how many pieces.
    if let first = bytes.first {
        let pieces = Int(first % 4) + 1
        let body = Array(bytes.dropFirst())
        var records: [[UInt8]] = []
        for piece in 0..<pieces { records.append(Array(body[(piece * body.count / pieces)..<((piece + 1) * body.count / pieces)])) }
        if let images = attempt("TFRecordImages.read", { try TFRecordImages.read(TFRecord.encode(records), limits: options.limits) }) { check(images) }
    }
    return 0
}
