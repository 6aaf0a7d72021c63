// libFuzzer harness for the GIF decoder (blocks, LZW, interlace, palette): any input must give
// an image or an ImageDecodingError, never a trap, and give back its share of the decoding
// budget. Built by scripts/fuzz.sh GIF SECONDS.
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures/formats
import ImageCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func gifFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // A small pixel limit keeps each run fast; the structure and LZW are what is exercised.
    let limits = DecodingLimits(maxPixels: 1 << 20)
    if let image = try? GIFDecoder.decode(bytes, limits: limits) {
        precondition(image.samples.count == image.width * image.height * image.channels)
    }
    precondition(DecodingBudget.shared.inUse == 0, "a decode kept its share of the budget")
    return 0
}
