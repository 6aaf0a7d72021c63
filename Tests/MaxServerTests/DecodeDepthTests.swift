import Foundation
import TestSupport
import XCTest

/// Finding 8 of issue 13: `max-server decode --out x.pam` writes a 16-bit source's samples at
/// 16 bits (MAXVAL 65535), and GIF and TIFF files decode from the command line.
final class DecodeDepthTests: XCTestCase {
    func fixture(_ name: String) -> String {
        MaxServer.root.appendingPathComponent("Tests/ImageCodecsTests/Fixtures/\(name)").path
    }

    func testA16BitSourceIsWrittenAt16Bits() throws {
        let folder = try TemporaryFolder()
        for name in ["png_gray16.png", "png_rgba16.png", "formats/tiff_rgb16_raw_mm.tif", "pnm_P5_max65535.pgm"] {
            let output = folder.url.appendingPathComponent("out.pam")
            let result = try MaxServer.run(["decode", fixture(name), "--out", output.path])
            XCTAssertEqual(result.status, 0, "\(name): \(result.stderr)")
            let pam = [UInt8](try Data(contentsOf: output))
            let header = String(decoding: pam.prefix(100), as: UTF8.self)
            XCTAssertTrue(header.contains("MAXVAL 65535"), "\(name): \(header)")
        }
        // An 8-bit source stays at 8 bits.
        let output = folder.url.appendingPathComponent("eight.pam")
        XCTAssertEqual(try MaxServer.run(["decode", fixture("png_rgb8.png"), "--out", output.path]).status, 0)
        XCTAssertTrue(String(decoding: try Data(contentsOf: output).prefix(100), as: UTF8.self).contains("MAXVAL 255"))
    }

    func testGIFAndTIFFDecode() throws {
        let gif = try MaxServer.run(["decode", fixture("formats/gif_transparent.gif")])
        XCTAssertEqual(gif.stdout, "\(fixture("formats/gif_transparent.gif")): GIF 12x9 rgba\n", gif.stderr)
        let tiff = try MaxServer.run(["decode", fixture("formats/tiff_pillow_rgb_lzw.tif")])
        XCTAssertEqual(tiff.stdout, "\(fixture("formats/tiff_pillow_rgb_lzw.tif")): TIFF 37x29 rgb\n", tiff.stderr)
    }
}
