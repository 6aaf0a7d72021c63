import Foundation
import TestSupport
import XCTest
@testable import ImageCodecs

/// Finding 2 of issue 13: a decode costs its output, not several times it, and every decoder
/// takes that memory from a shared budget first: refused at once when it can never fit, made
/// to wait (then `.busy`) while other decodes hold it.
final class DecodingMemoryTests: XCTestCase {
    /// A `width` x `height` 16-bit RGBA PNG of one colour, its rows repeated by deflate matches:
    /// tens of megabytes of samples from a few kilobytes of file.
    static func uniformRGBA16PNG(width: Int, height: Int) -> [UInt8] {
        let pixel: [UInt8] = [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xFF, 0xFF]
        let row: [UInt8] = [0] + (0..<width).flatMap { _ in pixel }
        var stream = HandmadeBitStream()
        stream.bits(1, 1); stream.bits(1, 2)  // final block, fixed Huffman codes
        for byte in row { stream.fixedSymbol(Int(byte)) }
        var remaining = row.count * (height - 1)
        while remaining > 0 {
            let length = remaining > 260 ? 258 : (remaining <= 258 ? remaining : remaining - 3)
            stream.fixedMatch(length: length, distance: row.count)
            remaining -= length
        }
        stream.fixedSymbol(256)
        // Adler-32 of rows that repeat: a row adds its byte sum to a, and to b n·a plus its
        // position-weighted sum (RFC 1950 section 8.2), so one pass over a row serves them all.
        let n = UInt64(row.count)
        var rowSum: UInt64 = 0, weightedSum: UInt64 = 0
        for (index, byte) in row.enumerated() {
            rowSum += UInt64(byte)
            weightedSum += (n - UInt64(index)) * UInt64(byte)
        }
        var a: UInt64 = 1, b: UInt64 = 0
        for _ in 0..<height {
            b = (b + n * a + weightedSum) % 65521
            a = (a + rowSum) % 65521
        }
        let zlib: [UInt8] = [0x78, 0x01] + stream.bytes + PNGTestBuilder.bigEndian(UInt32(b << 16 | a))
        return PNGTestBuilder.signature
            + PNGTestBuilder.ihdr(width: UInt32(width), height: UInt32(height), depth: 16, colorType: 6)
            + PNGTestBuilder.chunk("IDAT", zlib) + PNGTestBuilder.chunk("IEND", [])
    }

    /// The process's peak resident memory since `resetPeak()` (Linux: VmHWM, reset through clear_refs).
    private func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    private func resetPeak() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        return (try? handle.write(contentsOf: Data("5".utf8))) != nil
    }

    private func currentResidentBytes() -> Int {
        let fields = ((try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "").split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    func testA16BitRGBAPNGCostsAboutItsOutput() throws {
        let png = Self.uniformRGBA16PNG(width: 1500, height: 1500)
        XCTAssertLessThan(png.count, 300_000)
        let output = 1500 * 1500 * 4  // 8-bit RGBA: 9 MB; the samples at 16 bits are 18 MB
        guard resetPeak() else { throw XCTSkip("this kernel cannot reset the peak resident size") }
        let before = currentResidentBytes()
        let image = try PNGDecoder.decode(png, limits: DecodingLimits(budget: nil))
        let peak = try XCTUnwrap(peakResidentBytes())
        print("PNG decode: resident \(before >> 10) KiB before, peak grew by \((peak - before) >> 10) KiB for a \(output >> 10) KiB image")
        XCTAssertEqual(image.samples.count, output)
        XCTAssertEqual(Array(image.samples[0..<4]), [0x12, 0x56, 0x9A, 0xFF])
        XCTAssertEqual(Array(image.samples.suffix(4)), [0x12, 0x56, 0x9A, 0xFF])
        // Before streaming the rows it held the inflated stream twice and 16-bit samples too (~63 MB).
        XCTAssertLessThan(peak - before, output + output / 2, "peak grew by \(peak - before) bytes for a \(output)-byte image")
    }

    func testLosslessSamplesOfA16BitPNGCostTheirSize() throws {
        let png = Self.uniformRGBA16PNG(width: 600, height: 400)
        let samples = try PNGDecoder.decodeSamples(png, limits: DecodingLimits(budget: nil))
        XCTAssertEqual(samples.bitDepth, 16)
        XCTAssertEqual(Array(samples.samples[0..<4]), [0x1234, 0x5678, 0x9ABC, 0xFFFF])
        XCTAssertEqual(samples.samples.count, 600 * 400 * 4)
    }

    func testADecodeLargerThanTheWholeBudgetIsRefusedAtOnce() {
        let png = Self.uniformRGBA16PNG(width: 1000, height: 1000)
        let budget = DecodingBudget(capacity: 3_000_000, wait: 5)
        let started = Date()
        XCTAssertThrowsError(try PNGDecoder.decode(png, limits: DecodingLimits(budget: budget))) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.kind, .tooLarge)
            XCTAssertTrue("\(error)".contains("memory"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1, "no wait for what can never fit")
        XCTAssertThrowsError(try PNGDecoder.decode(png, limits: DecodingLimits(maxBytes: 3_000_000, budget: nil))) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.kind, .tooLarge)
        }
        XCTAssertEqual(budget.inUse, 0)
    }

    func testEveryDecoderTakesItsShare() throws {
        // Room for nothing: each format must ask before allocating its pixels.
        let tiny = DecodingLimits(maxBytes: 100)
        let pgm = Array("P5 20 20 255\n".utf8) + [UInt8](repeating: 7, count: 400)
        var bmp = [UInt8](repeating: 0, count: 54 + 20 * 20 * 3)
        bmp[0] = 0x42; bmp[1] = 0x4D
        for (offset, value) in [(10, 54), (14, 40), (18, 20), (22, 20), (26, 1), (28, 24)] {
            bmp[offset] = UInt8(value & 0xFF); bmp[offset + 1] = UInt8(value >> 8)
        }
        let png = PNGTestBuilder.png(PNGTestBuilder.ihdr(width: 20, height: 20, depth: 8, colorType: 0),
                                     raw: [UInt8](repeating: 0, count: 21 * 20))
        let jpeg = try [UInt8](Data(contentsOf: TestPaths.fixture("jpeg/rgb_420_q75.jpg", target: "ImageCodecsTests")))
        for (name, file) in [("PGM", pgm), ("BMP", bmp), ("PNG", png), ("JPEG", jpeg)] {
            XCTAssertNoThrow(try ImageDecoder.decode(file), name)
            XCTAssertThrowsError(try ImageDecoder.decode(file, limits: tiny), name) { error in
                XCTAssertEqual((error as? ImageDecodingError)?.kind, .tooLarge, "\(name): \(error)")
            }
        }
    }

    func testADecodeWaitsForRoomThenIsBusy() throws {
        let budget = DecodingBudget(capacity: 10_000_000, wait: 0.3)
        let held = try budget.reserve(9_000_000, format: .png)
        let png = Self.uniformRGBA16PNG(width: 1000, height: 1000)  // needs about 4.3 MB
        let started = Date()
        XCTAssertThrowsError(try PNGDecoder.decode(png, limits: DecodingLimits(budget: budget))) { error in
            XCTAssertEqual((error as? ImageDecodingError)?.kind, .busy)
            XCTAssertTrue("\(error)".contains("retry"), "\(error)")
        }
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 0.25)
        held.release()
        held.release()  // a second release gives nothing back twice
        XCTAssertEqual(budget.inUse, 0)
    }

    func testAWaitingDecodeProceedsWhenRoomComesBack() throws {
        let budget = DecodingBudget(capacity: 10_000_000, wait: 5)
        let held = try budget.reserve(9_000_000, format: .png)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { held.release() }
        let image = try PNGDecoder.decode(Self.uniformRGBA16PNG(width: 1000, height: 1000), limits: DecodingLimits(budget: budget))
        XCTAssertEqual(image.width, 1000)
    }

    func testAnImageHoldsItsShareWhileItLives() throws {
        let budget = DecodingBudget(capacity: 100_000_000, wait: 0)
        let png = Self.uniformRGBA16PNG(width: 1000, height: 1000)
        var image: Image? = try PNGDecoder.decode(png, limits: DecodingLimits(budget: budget, followOnFactor: 1.5))
        // The working buffers went back; the 4 MB of samples and 1.5 times that for the caller stay.
        XCTAssertEqual(budget.inUse, 10_000_000)
        var copy = image
        image = nil
        XCTAssertEqual(budget.inUse, 10_000_000, "a copy of the image still exists")
        copy?.samples[0] = 1
        copy = nil
        XCTAssertEqual(budget.inUse, 0, "the last copy is gone")
        XCTAssertNil(try PNGDecoder.decode(png, limits: DecodingLimits(budget: nil)).memoryShare)
    }

    func testJPEGEstimateCoversWhatTheDecodeTakes() throws {
        // 4:2:0 colour, 2000x1500: coefficients, planes, upsampled chroma and output.
        let jpeg = try [UInt8](Data(contentsOf: TestPaths.fixture("memory/gradient_2000x1500_420.jpg", target: "ImageCodecsTests")))
        let budget = DecodingBudget(capacity: 1 << 30, wait: 0)
        guard resetPeak() else { throw XCTSkip("this kernel cannot reset the peak resident size") }
        let before = currentResidentBytes()
        let image = try JPEGDecoder.decode(jpeg, limits: DecodingLimits(budget: budget))
        let peak = try XCTUnwrap(peakResidentBytes())
        XCTAssertEqual(budget.inUse, 2000 * 1500 * 3, "the image keeps its samples' share; the rest went back")
        XCTAssertEqual(image.width, 2000)
        let estimate = budget.peakInUse
        XCTAssertGreaterThan(estimate, 2000 * 1500 * 3, "at least the output")
        XCTAssertLessThanOrEqual(peak - before, estimate + (2 << 20), "the estimate \(estimate) is below the real peak growth \(peak - before)")
    }
}
