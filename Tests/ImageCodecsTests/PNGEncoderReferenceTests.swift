import Foundation
import ImageCodecs
import TestSupport
import XCTest

/// The PNG encoder against the reference decoder: Pillow reads every PNG we write, at every
/// layout and compression level, to exactly our samples (scripts/reference/pillow-read-png.py).
final class PNGEncoderReferenceTests: XCTestCase {
    static let modes: [PixelLayout: String] = [.gray: "L", .grayAlpha: "LA", .rgb: "RGB", .rgba: "RGBA"]

    func testPillowReadsEveryPNGWeWrite() throws {
        let folder = try TemporaryFolder()
        var generator = SplitMix64(seed: 2083)
        var cases = 0
        for layout in PixelLayout.allCases {
            for (width, height) in [(1, 1), (7, 3), (33, 17), (300, 2), (2, 300)] {
                // Noise, a smooth gradient (every filter wins somewhere) and flat runs.
                var image = Image(width: width, height: height, layout: layout)
                for index in image.samples.indices {
                    switch (index / max(1, image.samples.count / 3)) {
                    case 0: image.samples[index] = UInt8(truncatingIfNeeded: generator.next())
                    case 1: image.samples[index] = UInt8(truncatingIfNeeded: index / 3)
                    default: image.samples[index] = 200
                    }
                }
                for level in [0, 1, 6, 9] {
                    let name = "\(layout)-\(width)x\(height)-level\(level)"
                    try folder.write(name + ".png", PNGEncoder.encode(image, compressionLevel: level))
                    try folder.write(name + ".raw", image.samples)
                    try folder.write(name + ".mode", "\(Self.modes[layout] ?? "?") \(width) \(height)\n")
                    cases += 1
                }
            }
        }
        guard let result = try ReferenceTool.runScript("reference/pillow-read-png.py", [folder.url.path], importing: ["PIL"]) else {
            throw ReferenceTool.unavailable("Pillow for python3", install: "pip install pillow") { XCTSkip($0) }
        }
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(result.status, 0, lines.filter { $0.hasPrefix("MISMATCH") }.joined(separator: "\n") + result.stderr)
        XCTAssertEqual(lines.filter { $0.hasPrefix("ok ") }.count, cases, "Pillow checked every file")
    }
}
