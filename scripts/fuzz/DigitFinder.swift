// libFuzzer harness for the digit finder: any picture (its size, layout and pixels taken from
// the input) must give candidates, never a trap, and never more than max_digits of them.
// Built by scripts/fuzz.sh DigitFinder SECONDS.
// fuzz-modules: Logging HTTPServer Compression KernelInterface KernelsPortable Kernels ImageCodecs ImageProcessing HDF5 Keras Metrics WebPages MAXFramework ImageInput MNIST
// fuzz-seeds: samples
// fuzz-max-len: 70000
import ImageCodecs
import MNIST

let finder = DigitFinder(options: DigitFinderOptions(maxDigits: 20, minimumHeight: 7, workingSide: 256))

@_cdecl("LLVMFuzzerTestOneInput")
public func digitFinderFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 3 else { return 0 }
    // Header: width, height (1-256 each), layout; the rest are samples, repeated to fill.
    let width = Int(bytes[0]) + 1, height = Int(bytes[1]) + 1
    let layout = PixelLayout.allCases[Int(bytes[2]) % PixelLayout.allCases.count]
    let pixels = Array(bytes.dropFirst(3))
    let count = width * height * layout.channels
    let samples = pixels.isEmpty ? [UInt8](repeating: 0, count: count) : (0..<count).map { pixels[$0 % pixels.count] }
    guard let image = Image(width: width, height: height, layout: layout, samples: samples) else { return 0 }
    let found = finder.find(in: image)
    precondition(found.candidates.count <= 20, "more candidates than max_digits")
    precondition(found.fields.count == found.fieldCount * 784, "fields and their count disagree")
    return 0
}
