// libFuzzer harness for the PNG decoder: any input must give a well-formed image or an
// ImageDecodingError; any other error, an inconsistent image or a trap is a finding. Built with
// the ImageCodecs and Compression sources by scripts/fuzz.sh PNG SECONDS.
// fuzz-modules: Compression ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures
import ImageCodecs

/// Runs a decode; nil for an ImageDecodingError, anything else stops the fuzzer.
private func attempt<T>(_ what: String, _ body: () throws -> T) -> T? {
    do {
        return try body()
    } catch let error as ImageDecodingError {
        if error.message.isEmpty { fatalError("\(what): an ImageDecodingError without a message") }
        return nil
    } catch {
        fatalError("\(what) threw \(type(of: error)), not ImageDecodingError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func pngFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
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
    return 0
}
