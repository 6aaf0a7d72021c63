// libFuzzer harness for the PNG decoder: any input must give an image or an
// ImageDecodingError, never a trap. Built with the ImageCodecs and Compression sources by
// scripts/fuzz.sh PNG SECONDS (swiftc -sanitize=fuzzer,address -parse-as-library).
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures
import ImageCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func pngFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // A small pixel limit keeps each run fast; the header check is what is being exercised.
    let limits = DecodingLimits(maxPixels: 1 << 20)
    _ = try? PNGDecoder.decode(bytes, limits: limits)
    _ = try? PNGDecoder.decodeSamples(bytes, limits: limits)
    return 0
}
