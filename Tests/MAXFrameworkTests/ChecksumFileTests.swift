import MAXFramework
import TestSupport
import XCTest

final class ChecksumFileTests: XCTestCase {
    func testReadsTextAndBinaryModeLines() throws {
        let file = try ChecksumFile.parse("""
            # digests of the assets
            d41d8cd98f00b204e9800998ecf8427e  assets/empty.bin
            900150983CD24FB0D6963F7D28E17F72 *./assets/abc.txt

            """)
        XCTAssertEqual(file.digest(for: "assets/empty.bin"), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(file.digest(for: "assets/abc.txt"), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertEqual(file.digest(for: "./assets/abc.txt"), "900150983cd24fb0d6963f7d28e17f72")
        XCTAssertNil(file.digest(for: "assets/other"))
    }

    func testNamesTheBadLine() {
        XCTAssertThrowsError(try ChecksumFile.parse("d41d8cd98f00b204e9800998ecf8427e  ok\nnot a digest line\n")) { error in
            XCTAssertEqual((error as? ConfigurationError)?.key, "md5sums.txt line 2")
        }
        XCTAssertThrowsError(try ChecksumFile.parse("d41d8cd98f00b204e9800998ecf8427z  x\n"))
        XCTAssertThrowsError(try ChecksumFile.parse("d41d8cd98f00b204e9800998ecf8427e x\n"))
    }

    /// The project's own md5sums.txt is what `md5sum -c` accepts: every listed file matches.
    func testProjectChecksumsMatchTheirFiles() throws {
        let root = TestPaths.packageRoot
        let listing = root.appendingPathComponent("md5sums.txt")
        let file = try ChecksumFile.load(from: listing)
        XCTAssertFalse(file.digests.isEmpty)
        for (path, digest) in file.digests {
            XCTAssertEqual(try MD5.hex(ofFileAt: root.appendingPathComponent(path)), digest, path)
        }
    }
}
