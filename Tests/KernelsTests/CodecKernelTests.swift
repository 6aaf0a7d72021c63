import Kernels
import XCTest

/// JPEG's IDCT and colour conversion must give the same bytes on every CPU class (the JPEG
/// conformance tests hold the selected class to libjpeg-turbo's output).
final class CodecKernelTests: XCTestCase {
    func testInverseDCTIsIdenticalOnEveryClass() throws {
        var values = SeededValues(seed: 20)
        let blocks = 9
        var coefficients = [Int16](repeating: 0, count: blocks * 64)
        for block in 0..<blocks {
            coefficients[block * 64] = Int16(values.int(-1024...1023))   // DC
            // Block 0 is DC only (the flat shortcut); the others get a few ACs, the last many.
            let acCount = block == 0 ? 0 : (block == blocks - 1 ? 63 : values.int(1...12))
            for _ in 0..<acCount { coefficients[block * 64 + values.int(1...63)] = Int16(values.int(-300...300)) }
        }
        coefficients[5 * 64 + 7] = .max    // corrupt-file magnitudes wrap, never trap
        let quantization = (0..<64).map { Int32(1 + $0 % 17) }
        let stride = blocks * 8 + 5
        func run(_ kernels: any KernelSet.Type) -> [UInt8] {
            var output = [UInt8](repeating: 0, count: stride * 8)
            output.withUnsafeMutableBufferPointer {
                kernels.inverseDCT(coefficients, blocks: blocks, quantization: quantization, output: $0.baseAddress!,
                                   stride: stride)
            }
            return output
        }
        let portable = run(try XCTUnwrap(Kernels.set(for: .portable)))
        // A DC-only block is flat at clamp(dc * q / 8 + 128).
        let flat = UInt8(min(max(Int(coefficients[0]) * Int(quantization[0]) / 8 + 128, 0), 255))
        XCTAssertEqual(Set((0..<8).flatMap { y in portable[(y * stride)..<(y * stride + 8)] }).count, 1)
        XCTAssertEqual(Int(portable[0]), Int(flat), accuracy: 1)
        for y in 0..<8 {
            XCTAssert(portable[(y * stride + blocks * 8)..<((y + 1) * stride)].allSatisfy { $0 == 0 },
                      "row \(y): samples beyond the blocks are untouched")
        }
        forEachRunnableSet { kernels in XCTAssertEqual(run(kernels), portable, "\(kernels.cpu)") }
    }

    func testYCbCrToRGBMatchesTheFixedPointFormula() {
        var values = SeededValues(seed: 21)
        let count = 301
        let y = (0..<count).map { _ in UInt8(truncatingIfNeeded: values.next()) }
        let cb = (0..<count).map { _ in UInt8(truncatingIfNeeded: values.next()) }
        let cr = (0..<count).map { index in index < 4 ? [0, 255, 0, 255][index] : UInt8(truncatingIfNeeded: values.next()) }
        var expected = [UInt8](repeating: 0, count: count * 3)
        func fixed(_ x: Double) -> Int { Int(x * 65536 + 0.5) }
        for index in 0..<count {
            let luma = Int(y[index]), blue = Int(cb[index]) - 128, red = Int(cr[index]) - 128
            let r = luma + ((fixed(1.402) * red + 32768) >> 16)
            let g = luma + ((-fixed(0.34414) * blue - fixed(0.71414) * red + 32768) >> 16)
            let b = luma + ((fixed(1.772) * blue + 32768) >> 16)
            expected[3 * index] = UInt8(min(max(r, 0), 255))
            expected[3 * index + 1] = UInt8(min(max(g, 0), 255))
            expected[3 * index + 2] = UInt8(min(max(b, 0), 255))
        }
        forEachRunnableSet { kernels in
            var rgb = [UInt8](repeating: 0, count: count * 3)
            rgb.withUnsafeMutableBufferPointer { kernels.yCbCrToRGB(y, cb, cr, count: count, rgb: $0.baseAddress!) }
            XCTAssertEqual(rgb, expected, "\(kernels.cpu)")
        }
    }
}
