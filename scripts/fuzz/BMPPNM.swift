// libFuzzer harness for the BMP and PNM/PAM decoders (and format sniffing): any input must
// give an image or an ImageDecodingError, never a trap. Built by scripts/fuzz.sh BMPPNM SECONDS.
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures
import ImageCodecs

@_cdecl("LLVMFuzzerTestOneInput")
public func bmpPNMFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = DecodingLimits(maxPixels: 1 << 20)
    _ = try? BMPDecoder.decode(bytes, limits: limits)
    _ = try? PNMDecoder.decode(bytes, limits: limits)
    _ = ImageFormat.sniff(bytes)
    return 0
}
