// libFuzzer harness for the TIFF decoder (directory, PackBits, LZW, deflate, predictor,
// sample unpacking) at 8 and at 16 bits: any input must give an image or an
// ImageDecodingError, never a trap, and give back its share of the decoding budget.
// Built by scripts/fuzz.sh TIFF SECONDS.
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures/formats
import ImageCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func tiffFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = DecodingLimits(maxPixels: 1 << 20)
    if let image = try? TIFFDecoder.decode(bytes, limits: limits) {
        precondition(image.samples.count == image.width * image.height * image.channels)
    }
    if let wide = try? TIFFDecoder.decodeWide(bytes, limits: limits) {
        precondition(wide.samples.count == wide.width * wide.height * wide.layout.channels)
    }
    precondition(DecodingBudget.shared.inUse == 0, "a decode kept its share of the budget")
    return 0
}
