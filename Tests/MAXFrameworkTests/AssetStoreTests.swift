import Foundation
import TestSupport
import Logging
import MAXFramework
import XCTest

/// Start-up asset handling against a server on loopback: good, corrupt, unreachable and cut
/// downloads, and never a partial file left in assets/.
final class AssetStoreTests: XCTestCase {
    let content: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
    var folder: TemporaryFolder!
    let log = LogCapture()

    override func setUpWithError() throws {
        folder = try TemporaryFolder()
        try folder.write("md5sums.txt", "\(MD5.hex(of: content))  assets/model.bin\n")
    }

    func configuration(url: URL?) -> MAXConfiguration {
        var configuration = MAXConfiguration(baseDirectory: folder.url)
        configuration.assets = [AssetSpec(path: "assets/model.bin", url: url)]
        configuration.downloadTimeout = 5
        return configuration
    }

    var assetFile: URL { folder.url.appendingPathComponent("assets/model.bin") }

    /// Only the asset itself (if any) in assets/: no temporary files left behind.
    func assertNoPartialFiles(file: StaticString = #filePath, line: UInt = #line) throws {
        let names = (try? folder.contents(of: "assets")) ?? []
        XCTAssertTrue(names.allSatisfy { $0 == "model.bin" }, "assets/ holds \(names)", file: file, line: line)
    }

    func testGoodDownloadIsVerifiedAndPlaced() throws {
        let server = try LoopbackFileServer(["/model.bin": .serve(content)])
        defer { server.stop() }
        let statuses = try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger())
        XCTAssertEqual(statuses.map(\.action), [.downloaded])
        XCTAssertEqual(try Data(contentsOf: assetFile), Data(content))
        XCTAssertTrue(log.contains("downloading model.bin"), "progress is logged")
        try assertNoPartialFiles()

        // A second start finds the good file and does not download again.
        let again = try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger())
        XCTAssertEqual(again.map(\.action), [.verified])
        XCTAssertEqual(server.requests, ["/model.bin"])
    }

    func testCorruptDownloadIsDiscardedWithBothDigests() throws {
        var corrupt = content
        corrupt[1000] ^= 0xFF
        let server = try LoopbackFileServer(["/model.bin": .serve(corrupt)])
        defer { server.stop() }
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger())) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(MD5.hex(of: content)), "names the expected digest: \(text)")
            XCTAssertTrue(text.contains(MD5.hex(of: corrupt)), "names the actual digest: \(text)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: assetFile.path))
        try assertNoPartialFiles()
    }

    func testUnreachableURLFailsAtOnce() throws {
        let url = URL(string: "http://127.0.0.1:\(LoopbackFileServer.closedPort())/model.bin")!
        let started = Date()
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: url), logger: log.logger())) { error in
            XCTAssertTrue(error is AssetError, "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 4)
        try assertNoPartialFiles()
    }

    func testTransferCutMidwayLeavesNothing() throws {
        let server = try LoopbackFileServer(["/model.bin": .cut(content, after: 100_000)])
        defer { server.stop() }
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger()))
        XCTAssertFalse(FileManager.default.fileExists(atPath: assetFile.path))
        try assertNoPartialFiles()
    }

    func testHTTPErrorStatusIsAFailure() throws {
        let server = try LoopbackFileServer(["/model.bin": .status(404)])
        defer { server.stop() }
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger())) { error in
            XCTAssertTrue("\(error)".contains("404"), "\(error)")
        }
        try assertNoPartialFiles()
    }

    func testMismatchedFileIsReplacedFromURL() throws {
        try folder.write("assets/model.bin", Array("stale".utf8))
        let server = try LoopbackFileServer(["/model.bin": .serve(content)])
        defer { server.stop() }
        let statuses = try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger())
        XCTAssertEqual(statuses.first?.action, .downloaded)
        XCTAssertEqual(try Data(contentsOf: assetFile), Data(content))
        XCTAssertTrue(log.contains("MD5 mismatch"))
    }

    func testFailedReplacementKeepsTheOldFileUntouched() throws {
        try folder.write("assets/model.bin", Array("stale".utf8))
        let server = try LoopbackFileServer(["/model.bin": .cut(content, after: 10)])
        defer { server.stop() }
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger()))
        XCTAssertEqual(try Data(contentsOf: assetFile), Data("stale".utf8), "the rename never happened")
        try assertNoPartialFiles()
    }

    func testFileURLIsCopied() throws {
        let source = try folder.write("elsewhere/model.bin", content)
        let statuses = try AssetStore.prepare(configuration(url: source), logger: log.logger())
        XCTAssertEqual(statuses.first?.action, .downloaded)
        XCTAssertEqual(try Data(contentsOf: assetFile), Data(content))
    }

    func testMissingFileWithoutURLOrChecksumIsAnError() throws {
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: nil), logger: log.logger())) { error in
            XCTAssertTrue("\(error)".contains("missing"), "\(error)")
        }
        var unlisted = configuration(url: nil)
        unlisted.assets = [AssetSpec(path: "assets/other.bin")]
        XCTAssertThrowsError(try AssetStore.prepare(unlisted, logger: log.logger())) { error in
            XCTAssertTrue("\(error)".contains("no MD5 listed"), "\(error)")
        }
    }

    func testVerifyOnlyRefusesToDownload() throws {
        let server = try LoopbackFileServer(["/model.bin": .serve(content)])
        defer { server.stop() }
        XCTAssertThrowsError(try AssetStore.prepare(configuration(url: server.url("/model.bin")), logger: log.logger(),
                                                    allowDownload: false))
        XCTAssertTrue(server.requests.isEmpty)
    }
}
