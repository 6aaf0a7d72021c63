// libFuzzer harness for the PNG decoder: any input must give a well-formed image or an
// ImageDecodingError; any other error, an inconsistent image or a trap is a finding. Each input
// is decoded as it is and with its chunk CRCs corrected, so that mutations inside chunks reach
// the chunk parsers instead of stopping at the CRC check. Built with
// the ImageCodecs and Compression sources by scripts/fuzz.sh PNG SECONDS.
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures
import Compression
import ImageCodecs

/// `attempt(_:refusing:message:_:)` (scripts/fuzz/support) with this module's error type.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? { attempt(what, refusing: ImageDecodingError.self, message: \.message, body) }

/// The input with every chunk's CRC recomputed: a mutated chunk would otherwise stop at its
/// CRC check, and the fuzzer would never get past that wall into the chunk parsers.
private func withCorrectCRCs(_ bytes: [UInt8]) -> [UInt8] {
    var fixed = bytes
    var offset = 8
    guard bytes.count >= 8 else { return bytes }
    while offset + 12 <= fixed.count {
        let length = Int(fixed[offset]) << 24 | Int(fixed[offset + 1]) << 16 | Int(fixed[offset + 2]) << 8 | Int(fixed[offset + 3])
        let end = offset + 8 + length
        guard length >= 0, end + 4 <= fixed.count else { break }
        let crc = CRC32.checksum(fixed[(offset + 4)..<end])
        for i in 0..<4 { fixed[end + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
        offset = end + 4
    }
    return fixed
}

@_cdecl("LLVMFuzzerTestOneInput")
public func pngFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let original = Array(UnsafeBufferPointer(start: data, count: size))
    check(original)
    let fixed = withCorrectCRCs(original)
    if fixed != original { check(fixed) }
    return 0
}

private func check(_ bytes: [UInt8]) {
    // A small pixel limit keeps each run fast; the header check is what is being exercised.
    let limits = DecodingLimits(maxPixels: 1 << 20)
    let image = attempt("PNGDecoder.decode") { try PNGDecoder.decode(bytes, limits: limits) }
    let samples = attempt("PNGDecoder.decodeSamples") { try PNGDecoder.decodeSamples(bytes, limits: limits) }
    if let image, image.samples.count != image.width * image.height * image.channels {
        fatalError("inconsistent image \(image.width)x\(image.height)x\(image.channels) with \(image.samples.count) samples")
    }
    // The 8-bit and the lossless paths agree on what decodes.
    if (image == nil) != (samples == nil) { fatalError("decode and decodeSamples disagree on whether the file is valid") }
    if let image, let samples, image.width != samples.width || image.height != samples.height {
        fatalError("decode and decodeSamples disagree on the size")
    }
}
