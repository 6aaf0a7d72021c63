// Fuzzes the protobuf wire-format reader and the tf.train.Example parser on unframed messages:
// varints, tags, lengths, groups, packed and unpacked lists, merging. A thrown ProtobufError is
// the expected outcome for bad input; a trap, crash, leak or unbounded allocation is a bug.
// Whatever parses must encode to bytes that parse to the same encoding (floats compared by
// their bits through the encoding, so NaNs do not break equality). Run: scripts/fuzz.sh Protobuf 600
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs Datasets
// fuzz-seeds: Tests/DatasetsTests/Fixtures/protobuf
// fuzz-max-len: 16384
import Datasets

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: ProtobufError.self, body) }

@_cdecl("LLVMFuzzerTestOneInput")
public func protobufFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    // The schema-free walk: every field read or skipped, positions only move forward.
    var reader = ProtobufReader(bytes)
    while true {
        let before = reader.position
        guard let next = attempt("nextField", { try reader.nextField() }), let field = next else { break }
        if attempt("skip", { try reader.skip(field.wireType, number: field.number) }) == nil { break }
        precondition(reader.position > before && reader.position <= bytes.count, "the reader moves forward within the message")
    }
    if let example = attempt("TFExample", { try TFExample(parsing: bytes) }) {
        let encoded = example.encoded()
        guard let again = try? TFExample(parsing: encoded) else { preconditionFailure("an encoded Example does not parse") }
        precondition(again.encoded() == encoded, "Example encoding does not round-trip")
        precondition(again.features.keys.sorted() == example.features.keys.sorted(), "features lost in the round trip")
    }
    return 0
}
