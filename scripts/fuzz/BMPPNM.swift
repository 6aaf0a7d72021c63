// libFuzzer harness for the BMP and PNM/PAM decoders (and format sniffing): any input must
// give a well-formed image or an ImageDecodingError; any other error, an inconsistent image or
// a trap is a finding. Built by scripts/fuzz.sh BMPPNM SECONDS.
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures
import ImageCodecs

/// The image, nil for an ImageDecodingError; anything else stops the fuzzer.
private func decoded(_ what: String, _ body: () throws -> Image) -> Image? {
    do {
        let image = try body()
        if image.width <= 0 || image.height <= 0 || image.samples.count != image.width * image.height * image.channels {
            fatalError("\(what): inconsistent image \(image.width)x\(image.height)x\(image.channels) with \(image.samples.count) samples")
        }
        return image
    } catch let error as ImageDecodingError {
        if error.message.isEmpty { fatalError("\(what): an ImageDecodingError without a message") }
        return nil
    } catch {
        fatalError("\(what) threw \(type(of: error)), not ImageDecodingError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func bmpPNMFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = DecodingLimits(maxPixels: 1 << 20)
    _ = decoded("BMPDecoder") { try BMPDecoder.decode(bytes, limits: limits) }
    _ = decoded("PNMDecoder") { try PNMDecoder.decode(bytes, limits: limits) }
    _ = ImageFormat.sniff(bytes)
    return 0
}
