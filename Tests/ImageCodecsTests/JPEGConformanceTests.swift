import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// Reference pixels for JPEG tests: binary PGM/PPM files written by libjpeg-turbo (via Pillow),
/// and the comparison rule of the conformance corpus.
enum JPEGReference {
    /// Reads a binary P5 (gray) or P6 (RGB) file with maxval 255.
    static func readPNM(_ url: URL) throws -> Image {
        let bytes = [UInt8](try Data(contentsOf: url))
        var index = 0
        func token() -> String {
            while index < bytes.count {
                if bytes[index] == UInt8(ascii: "#") {
                    while index < bytes.count, bytes[index] != 0x0A { index += 1 }
                } else if [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) {
                    index += 1
                } else { break }
            }
            let start = index
            while index < bytes.count, ![0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        let magic = token()
        guard let width = Int(token()), let height = Int(token()), token() == "255", magic == "P5" || magic == "P6" else {
            throw BrokenFixture("reference \(url.lastPathComponent) is not an 8-bit binary PGM/PPM")
        }
        index += 1
        let layout: PixelLayout = magic == "P5" ? .gray : .rgb
        let samples = Array(bytes[min(index, bytes.count)...])
        guard let image = Image(width: width, height: height, layout: layout, samples: samples) else {
            throw BrokenFixture("reference \(url.lastPathComponent) holds \(samples.count) samples, not \(width * height * layout.channels)")
        }
        return image
    }

    /// Asserts that `image` has the reference's shape and every sample is within `tolerance`.
    static func assertMatches(_ image: Image, _ reference: Image, tolerance: Int, _ name: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(image.width, reference.width, "\(name): width", file: file, line: line)
        XCTAssertEqual(image.height, reference.height, "\(name): height", file: file, line: line)
        XCTAssertEqual(image.layout, reference.layout, "\(name): layout", file: file, line: line)
        guard image.samples.count == reference.samples.count else { return }
        var worst = 0, worstIndex = 0, differing = 0
        for index in image.samples.indices {
            let difference = abs(Int(image.samples[index]) - Int(reference.samples[index]))
            if difference > 0 { differing += 1 }
            if difference > worst { worst = difference; worstIndex = index }
        }
        XCTAssertLessThanOrEqual(worst, tolerance,
            "\(name): sample \(worstIndex) differs by \(worst) (\(differing) of \(image.samples.count) samples differ)",
            file: file, line: line)
    }

    /// Without chroma subsampling +-1, with it +-2 (the corpus's rule).
    static func tolerance(forName name: String) -> Int {
        ["_420", "_422", "_411", "_440"].contains(where: name.contains) ? 2 : 1
    }
}

/// The shared acceptance corpus: libjpeg-turbo's decodes of files written by libjpeg-turbo.
final class JPEGConformanceTests: XCTestCase {
    private func corpus() throws -> URL {
        guard let url = TestPaths.shared("conformance/jpeg") else {
            throw XCTSkip(TestPaths.sharedMissingMessage("conformance/jpeg"))
        }
        return url
    }

    func testEveryValidFileMatchesItsReference() throws {
        let folder = try corpus()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".jpg") && !$0.hasPrefix("corrupt_") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 12, "expected the corpus's 12 valid files")
        for name in names {
            let stem = String(name.dropLast(4))
            let referenceURL = ["pgm", "ppm"].map { folder.appendingPathComponent(stem + "." + $0) }
                .first { FileManager.default.fileExists(atPath: $0.path) }
            guard let referenceURL else { XCTFail("\(name) has no reference .pgm/.ppm"); continue }
            let reference = try JPEGReference.readPNM(referenceURL)
            do {
                let image = try JPEGDecoder.decode([UInt8](try Data(contentsOf: folder.appendingPathComponent(name))))
                JPEGReference.assertMatches(image, reference, tolerance: JPEGReference.tolerance(forName: stem), name)
            } catch {
                XCTFail("\(name): \(error)")
            }
        }
    }

    func testCorruptFilesAreRefused() throws {
        let folder = try corpus()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("corrupt_") }.sorted()
        XCTAssertEqual(names.count, 3, "expected the corpus's 3 corrupt files")
        for name in names {
            let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
            XCTAssertThrowsError(try JPEGDecoder.decode(bytes), name) { error in
                XCTAssertTrue(error is JPEGError, "\(name): \(error) is not a JPEGError")
                XCTAssertFalse(String(describing: error).isEmpty)
            }
        }
    }

    func testHugeDimensionsAreRefusedFromTheHeader() throws {
        let bytes = [UInt8](try Data(contentsOf: try corpus().appendingPathComponent("corrupt_huge_dimensions.jpg")))
        XCTAssertThrowsError(try JPEGDecoder.decode(bytes)) { error in
            guard case JPEGError.tooManyPixels(let width, let height, _) = error else {
                return XCTFail("expected tooManyPixels, got \(error)")
            }
            XCTAssertEqual(width, 65535)
            XCTAssertEqual(height, 65535)
        }
    }
}
