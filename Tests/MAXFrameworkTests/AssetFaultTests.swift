import Foundation
import Glibc
import Logging
import MAXFramework
import TestSupport
import XCTest

/// Finding 6 of issue 13: downloads that drip, stall, run too long or grow too large fail with
/// a message in words, and a termination signal during a download leaves no partial file.
final class AssetFaultTests: XCTestCase {
    let content: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
    var folder: TemporaryFolder!
    let log = LogCapture()

    override func setUpWithError() throws {
        folder = try TemporaryFolder()
        try folder.write("md5sums.txt", "\(MD5.hex(of: content))  assets/model.bin\n")
    }

    func configuration(_ url: URL, progress: Double = 5, total: Double = 60, maxBytes: Int = 1 << 30) -> MAXConfiguration {
        var configuration = MAXConfiguration(baseDirectory: folder.url)
        configuration.assets = [AssetSpec(path: "assets/model.bin", url: url)]
        configuration.downloadTimeout = progress
        configuration.downloadTotalTimeout = total
        configuration.maxDownloadBytes = maxBytes
        return configuration
    }

    /// The failure's message and how long it took to come.
    func failure(_ configuration: MAXConfiguration) -> (message: String, seconds: Double) {
        let started = Date()
        do {
            _ = try AssetStore.prepare(configuration, logger: log.logger())
            return ("no error", Date().timeIntervalSince(started))
        } catch {
            return ("\(error)", Date().timeIntervalSince(started))
        }
    }

    func assertNoPartialFiles(file: StaticString = #filePath, line: UInt = #line) {
        let names = (try? folder.contents(of: "assets")) ?? []
        XCTAssertEqual(names.filter { $0 != "model.bin" }, [], "assets/ holds \(names)", file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("assets/model.bin").path),
                       "a failed download must not publish the asset", file: file, line: line)
    }

    func testADripFeedTimesOutOnProgress() throws {
        // A byte every 50 ms is never silence, but far too little progress.
        let server = try LoopbackFileServer(["/m": .drip(content, chunk: 1, interval: 0.05, limit: 8)])
        defer { server.stop() }
        let (message, seconds) = failure(configuration(server.url("/m"), progress: 1))
        XCTAssertTrue(message.contains("timed out after 1 s"), message)
        XCTAssertTrue(message.contains("64 KiB"), message)
        XCTAssertLessThan(seconds, 4, message)
        assertNoPartialFiles()
    }

    func testASteadyButEndlessDownloadHitsTheTotalTimeout() throws {
        // 16 KiB every 0.1 s keeps progress but would take two seconds; the total limit is one.
        let server = try LoopbackFileServer(["/m": .drip(content, chunk: 16 * 1024, interval: 0.1, limit: 8)])
        defer { server.stop() }
        let (message, seconds) = failure(configuration(server.url("/m"), progress: 5, total: 1))
        XCTAssertTrue(message.contains("timed out after 1 s"), message)
        XCTAssertTrue(message.contains("total"), message)
        XCTAssertLessThan(seconds, 3, message)
        assertNoPartialFiles()
    }

    func testAStallIsReportedInWords() throws {
        let server = try LoopbackFileServer(["/m": .stall(content, after: 1000, seconds: 6)])
        defer { server.stop() }
        let (message, seconds) = failure(configuration(server.url("/m"), progress: 1))
        XCTAssertTrue(message.contains("timed out after 1 s"), message)
        XCTAssertFalse(message.contains("NSURLErrorDomain"), message)
        XCTAssertFalse(message.contains("-1001"), message)
        XCTAssertLessThan(seconds, 4, message)
        assertNoPartialFiles()
    }

    func testADownloadLargerThanTheCapIsRefusedFromItsLength() throws {
        let server = try LoopbackFileServer(["/m": .serve(content)])
        defer { server.stop() }
        let (message, _) = failure(configuration(server.url("/m"), maxBytes: 100_000))
        XCTAssertTrue(message.contains("300000 bytes"), message)
        XCTAssertTrue(message.contains("assets.max_download_bytes"), message)
        assertNoPartialFiles()
    }

    func testADownloadOfUnknownSizeIsCutAtTheCap() throws {
        let server = try LoopbackFileServer(["/m": .serveUnsized(content)])
        defer { server.stop() }
        let (message, _) = failure(configuration(server.url("/m"), maxBytes: 100_000))
        XCTAssertTrue(message.contains("more than 100000 bytes"), message)
        XCTAssertTrue(message.contains("assets.max_download_bytes"), message)
        assertNoPartialFiles()
        // Within the cap, an unsized download is fine.
        XCTAssertEqual(try AssetStore.prepare(configuration(server.url("/m")), logger: log.logger()).first?.action, .downloaded)
    }

    func testAFileURLLargerThanTheCapIsRefused() throws {
        let source = try folder.write("elsewhere/model.bin", content)
        let (message, _) = failure(configuration(source, maxBytes: 1000))
        XCTAssertTrue(message.contains("assets.max_download_bytes"), message)
        assertNoPartialFiles()
    }

    func testATerminationSignalDuringADownloadLeavesNoPartFile() throws {
        let server = try LoopbackFileServer(["/m": .drip(content, chunk: 1000, interval: 0.05, limit: 10)])
        defer { server.stop() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) {
            // By now the temporary file exists and is growing.
            kill(getpid(), SIGTERM)
        }
        let (message, seconds) = failure(configuration(server.url("/m"), progress: 5))
        XCTAssertTrue(message.contains("interrupted by SIGTERM"), message)
        XCTAssertLessThan(seconds, 3, message)
        assertNoPartialFiles()
        XCTAssertTrue(log.contains("removed the partial download"), "\(log.lines)")
    }
}
