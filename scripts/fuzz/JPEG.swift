// libFuzzer harness for the JPEG decoder: scripts/fuzz.sh JPEG SECONDS
// fuzz-modules: Compression KernelInterface KernelsPortable Kernels ImageCodecs
// fuzz-seeds: Tests/ImageCodecsTests/Fixtures/jpeg
// fuzz-max-len: 8192
// (canImport also lets it be compiled together with the sources by hand:
//  swiftc -O -sanitize=fuzzer,address -parse-as-library \
//      Sources/ImageCodecs/Image.swift Sources/ImageCodecs/JPEG*.swift scripts/fuzz/JPEG.swift -o jpeg-fuzz)
#if canImport(ImageCodecs)
import ImageCodecs
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func jpegFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // A 1-megapixel limit keeps each execution fast; the limit itself is unit-tested.
    do {
        let image = try JPEGDecoder.decode(bytes, limits: DecodingLimits(maxPixels: 1_000_000))
        // A decoded image must be internally consistent.
        if image.samples.count != image.width * image.height * image.channels || image.width == 0 || image.height == 0 {
            fatalError("inconsistent image \(image.width)x\(image.height)x\(image.channels): \(image.samples.count) samples")
        }
    } catch let error as JPEGError {
        if error.description.isEmpty { fatalError("empty error message") }
    } catch {
        fatalError("decoder threw a non-JPEGError: \(error)")
    }
    return 0
}
