import Foundation
import MAXFramework
import TestSupport
import XCTest

/// The `max-server` binary as a user meets it: every command's success path, its help, and the
/// exit codes the README promises (0 success, 1 a failure reported in one line, 2 a usage error
/// with the usage printed).
final class CommandLineTests: XCTestCase {
    static let commands = ["serve", "metadata", "predict", "verify-assets", "decode", "h5ls", "model-summary", "bench"]
    let config = MaxServer.root.appendingPathComponent("config.json").path
    func path(_ relative: String) -> String { MaxServer.root.appendingPathComponent(relative).path }

    /// Exit 1 with exactly one line (besides log lines) naming the command and the problem.
    func assertFailure(_ result: MaxServer.Result, command: String, mentions needle: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 1, "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.messages.count, 1, "one readable line, got: \(result.messages)", file: file, line: line)
        let message = result.messages.first ?? ""
        XCTAssertTrue(message.hasPrefix("max-server \(command): "), message, file: file, line: line)
        XCTAssertTrue(message.contains(needle), "'\(message)' should mention '\(needle)'", file: file, line: line)
        XCTAssertFalse(result.stderr.contains("Fatal error"), result.stderr, file: file, line: line)
    }

    /// Exit 2 with the message, then the command's usage.
    func assertUsageError(_ result: MaxServer.Result, command: String, mentions needle: String,
                          file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, "stderr: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("max-server \(command): "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(needle), "'\(result.stderr)' should mention '\(needle)'", file: file, line: line)
        XCTAssertTrue(result.stderr.contains("usage: max-server"), "the usage follows the message", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    // MARK: - Help and usage errors

    func testTopLevelHelpListsEveryCommand() throws {
        // (`--version` is covered by ServeAnywhereTests.testVersion.)
        for flag in ["--help", "-h", "help"] {
            let result = try MaxServer.run([flag])
            XCTAssertEqual(result.status, 0, flag)
            XCTAssertTrue(result.stdout.hasPrefix("usage: max-server"), result.stdout)
            for command in Self.commands { XCTAssertTrue(result.stdout.contains("  \(command) "), "\(flag) lists \(command)") }
            XCTAssertEqual(result.stderr, "")
        }
    }

    func testEveryCommandHasHelp() throws {
        for command in Self.commands {
            for flag in ["--help", "-h"] {
                let result = try MaxServer.run([command, flag])
                XCTAssertEqual(result.status, 0, "\(command) \(flag): \(result.stderr)")
                XCTAssertTrue(result.stdout.hasPrefix("usage: max-server"), "\(command) \(flag): \(result.stdout)")
                XCTAssertEqual(result.stderr, "", "\(command) \(flag)")
            }
        }
    }

    func testUnknownCommandIsAUsageError() throws {
        let result = try MaxServer.run(["frobnicate"])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.hasPrefix("max-server: unknown command 'frobnicate'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("commands:"), "the command list follows")
    }

    func testUnknownOptionsAreUsageErrors() throws {
        for command in Self.commands {
            assertUsageError(try MaxServer.run([command, "--no-such-option"]), command: command, mentions: "unknown option --no-such-option")
        }
        // Without a command name, options go to serve.
        assertUsageError(try MaxServer.run(["--no-such-option"]), command: "serve", mentions: "unknown option --no-such-option")
        // A flag given a value is not the flag.
        assertUsageError(try MaxServer.run(["verify-assets", "--no-download=yes"]), command: "verify-assets", mentions: "unknown option --no-download")
    }

    func testMalformedArgumentsAreUsageErrors() throws {
        assertUsageError(try MaxServer.run(["metadata", "--config"]), command: "metadata", mentions: "option --config needs a value")
        assertUsageError(try MaxServer.run(["metadata", "extra"]), command: "metadata", mentions: "unexpected argument 'extra'")
        assertUsageError(try MaxServer.run(["decode"]), command: "decode", mentions: "expected at least 1 argument")
        assertUsageError(try MaxServer.run(["decode", "a.png", "b.png"]), command: "decode", mentions: "unexpected argument 'b.png'")
        assertUsageError(try MaxServer.run(["predict", "--config", config]), command: "predict", mentions: "expected at least 1 argument")
        assertUsageError(try MaxServer.run(["predict", "--query", "top_k", path("samples/digit-8.png")]), command: "predict",
                         mentions: "--query expects NAME=VALUE")
        assertUsageError(try MaxServer.run(["decode", path("samples/digit-8.png"), "--bench", "many"]), command: "decode",
                         mentions: "--bench expects a whole number")
        assertUsageError(try MaxServer.run(["decode", path("samples/digit-8.png"), "--max-pixels", "0"]), command: "decode",
                         mentions: "--max-pixels must be positive")
        assertUsageError(try MaxServer.run(["decode", path("samples/digit-8.png"), "--out", "x.gif"]), command: "decode",
                         mentions: "--out must end in .pam, .png, .pgm or .ppm")
        assertUsageError(try MaxServer.run(["h5ls", path("Tests/HDF5Tests/Fixtures/earliest.h5"), "--bench", "0"]), command: "h5ls",
                         mentions: "--bench expects a positive count")
        assertUsageError(try MaxServer.run(["bench"]), command: "bench", mentions: "--model FILE is required")
        assertUsageError(try MaxServer.run(["bench", "--model", path("assets/mnist_cnn.h5"), "--batch", "0"]), command: "bench",
                         mentions: "--batch must be between 1 and 65536")
    }

    // MARK: - Each command's success path

    func testMetadataPrintsTheModelsMetadata() throws {
        let result = try MaxServer.run(["metadata", "--config", config, "--log-level", "warning"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["id"] as? String, "max-mnist-swift")
        XCTAssertEqual(Set(json.keys), ["id", "name", "description", "type", "source", "license"])
    }

    func testPredictPrintsOneLinePerFileAsTheRouteAnswers() throws {
        let result = try MaxServer.run(["predict", "--config", config, "--log-level", "warning", "--query", "top_k=2",
                                        path("samples/digit-8.png"), path("samples/7_mnist_0.png")])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 2, result.stdout)
        for (line, digit) in zip(lines, [8, 7]) {
            let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            XCTAssertEqual(json["status"] as? String, "ok")
            let predictions = try XCTUnwrap(json["predictions"] as? [[String: Any]])
            XCTAssertEqual(predictions.count, 2, "top_k=2 reached the model")
            XCTAssertEqual(predictions.first?["prediction"] as? Int, digit)
        }
    }

    func testPredictReportsEachBadFileAndExits1() throws {
        let result = try MaxServer.run(["predict", "--config", config, "--log-level", "error",
                                        path("README.md"), path("samples/digit-8.png"), path("no/such/file.png")])
        XCTAssertEqual(result.status, 1)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3, "one answer per file, good ones included")
        let answers = try lines.map { try XCTUnwrap(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(answers.map { $0["status"] as? String }, ["error", "ok", "error"])
        XCTAssertTrue((answers[0]["message"] as? String ?? "").contains("not a readable image"), lines[0])
        XCTAssertTrue((answers[2]["message"] as? String ?? "").contains("cannot read"), lines[2])
    }

    /// A file that reads but is no image fails on its own too (not only beside an unreadable one).
    func testPredictExits1WhenTheOnlyFileIsNoImage() throws {
        let result = try MaxServer.run(["predict", "--config", config, "--log-level", "error", path("README.md")])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("not a readable image"), result.stdout)
    }

    func testVerifyAssetsChecksTheConfiguredAssets() throws {
        let result = try MaxServer.run(["verify-assets", "--no-download", "--config", config, "--log-level", "warning"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let md5 = try XCTUnwrap(String(contentsOfFile: path("md5sums.txt")).split(separator: "\n")
            .first { $0.hasSuffix("assets/mnist_cnn.h5") }?.prefix(32))
        XCTAssertEqual(result.stdout, "assets/mnist_cnn.h5: OK (\(md5))\n")
    }

    func testVerifyAssetsFailsInOneLineForAMissingAsset() throws {
        let folder = try TemporaryFolder()
        try folder.write("md5sums.txt", "0123456789abcdef0123456789abcdef  model.bin\n")
        let config = try folder.write("config.json", #"{"model": {"plugin": "image-stats"}, "assets": {"files": [{"path": "model.bin"}]}}"#)
        let result = try MaxServer.run(["verify-assets", "--no-download", "--config", config.path, "--log-level", "error"])
        assertFailure(result, command: "verify-assets", mentions: "model.bin")
    }

    /// A missing asset with a url: --no-download refuses and leaves nothing behind; without it
    /// the file is fetched, verified and reported as downloaded.
    func testVerifyAssetsDownloadsOnlyWhenAllowed() throws {
        let folder = try TemporaryFolder()
        let source = try folder.write("source/model.bin", Array("weights".utf8))
        try folder.write("md5sums.txt", MD5.hex(of: Array("weights".utf8)) + "  model.bin\n")
        let config = try folder.write("config.json", """
            {"model": {"plugin": "image-stats"}, "assets": {"files": [{"path": "model.bin", "url": "\(source.absoluteString)"}]}}
            """)
        let refused = try MaxServer.run(["verify-assets", "--no-download", "--config", config.path, "--log-level", "error"])
        assertFailure(refused, command: "verify-assets", mentions: "model.bin")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("model.bin").path))
        let fetched = try MaxServer.run(["verify-assets", "--config", config.path, "--log-level", "error"])
        XCTAssertEqual(fetched.status, 0, fetched.stderr)
        XCTAssertEqual(fetched.stdout, "model.bin: OK (\(MD5.hex(of: Array("weights".utf8))), downloaded)\n")
    }

    func testDecodeWritesThePixelsItRead() throws {
        let folder = try TemporaryFolder()
        for (name, description) in [("samples/digit-8.png", "PNG 28x28 gray"), ("samples/7_photo_phone.jpg", "JPEG 480x360 rgb")] {
            let output = folder.url.appendingPathComponent("out.pam").path
            let result = try MaxServer.run(["decode", path(name), "--out", output])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stdout, "\(path(name)): \(description)\n")
            // The written file decodes to the same size and layout.
            let again = try MaxServer.run(["decode", output])
            XCTAssertEqual(again.stdout, "\(output): PNM \(description.split(separator: " ").dropFirst().joined(separator: " "))\n")
        }
        let bench = try MaxServer.run(["decode", path("samples/digit-8.png"), "--bench", "3"])
        XCTAssertEqual(bench.status, 0)
        XCTAssertTrue(bench.stdout.contains("bench: 3 decodes, mean "), bench.stdout)
    }

    func testDecodeFailsInOneLineForBadFiles() throws {
        assertFailure(try MaxServer.run(["decode", path("README.md")]), command: "decode", mentions: "unrecognised first bytes")
        assertFailure(try MaxServer.run(["decode", path("no/such.png")]), command: "decode", mentions: "cannot read")
        assertFailure(try MaxServer.run(["decode", path("samples/7_photo_phone.jpg"), "--max-pixels", "1000"]), command: "decode",
                      mentions: "480x360")
        let folder = try TemporaryFolder()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("samples/digit-8.png"))))
        let truncated = try folder.write("truncated.png", Array(bytes.prefix(bytes.count / 2)))
        assertFailure(try MaxServer.run(["decode", truncated.path]), command: "decode", mentions: "PNG image")
    }

    func testH5lsListsTheTree() throws {
        let file = path("Tests/HDF5Tests/Fixtures/earliest.h5")
        let result = try MaxServer.run(["h5ls", file, "--values"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.hasPrefix("/"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Group (superblock v0)"))
        XCTAssertTrue(result.stdout.contains("/model_weights/dense/kernel:0"))
        XCTAssertTrue(result.stdout.contains("/model_weights/dense/bias:0"))
        let bench = try MaxServer.run(["h5ls", file, "--bench", "2"])
        XCTAssertEqual(bench.status, 0, bench.stderr)
    }

    func testH5lsFailsInOneLineForBadFiles() throws {
        assertFailure(try MaxServer.run(["h5ls", path("README.md")]), command: "h5ls", mentions: "not an HDF5 file")
        assertFailure(try MaxServer.run(["h5ls", path("no/such.h5")]), command: "h5ls", mentions: "no/such.h5")
        let folder = try TemporaryFolder()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("Tests/HDF5Tests/Fixtures/latest.h5"))))
        let truncated = try folder.write("truncated.h5", Array(bytes.prefix(2000)))
        let result = try MaxServer.run(["h5ls", truncated.path])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertFalse(result.stderr.contains("Fatal error"))
    }

    /// A file that opens but holds one damaged chunk: the listing goes on, the dataset's value
    /// says why, and the exit status is 1.
    func testH5lsExits1WhenAValueCannotBeRead() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path("Tests/HDF5Tests/Fixtures/earliest.h5"))))
        // shuffle_fletcher's first chunk: int16 0 1 2 3 6 7 8 9 shuffled (low bytes, then high bytes).
        let chunk: [UInt8] = [0, 1, 2, 3, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0]
        let at = try XCTUnwrap((0...(bytes.count - chunk.count)).first { bytes[$0..<($0 + chunk.count)].elementsEqual(chunk) },
                               "shuffle_fletcher's first chunk is in the fixture")
        bytes[at + 1] ^= 0xFF
        let folder = try TemporaryFolder()
        let damaged = try folder.write("damaged.h5", bytes)
        let result = try MaxServer.run(["h5ls", damaged.path, "--values"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stdout.contains("shuffle_fletcher"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Data: error:"), result.stdout)
    }

    func testModelSummaryPrintsTheLayers() throws {
        let result = try MaxServer.run(["model-summary", path("assets/mnist_cnn.h5")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("Total params"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Input shape: [28, 28, 1]  Output shape: [11]"), result.stdout)
    }

    func testModelSummaryFailsInOneLineForBadFiles() throws {
        assertFailure(try MaxServer.run(["model-summary", path("README.md")]), command: "model-summary", mentions: "README.md")
        assertFailure(try MaxServer.run(["model-summary", path("Tests/HDF5Tests/Fixtures/earliest.h5")]), command: "model-summary",
                      mentions: "earliest.h5")
    }

    func testBenchTimesTheModel() throws {
        let result = try MaxServer.run(["bench", "--model", path("assets/mnist_cnn.h5"), "--batch", "2", "--seconds", "0.2"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("batch 2: "), result.stdout)
        XCTAssertTrue(result.stdout.contains("us/image cpu"), result.stdout)
        assertFailure(try MaxServer.run(["bench", "--model", path("README.md"), "--seconds", "0.1"]), command: "bench", mentions: "README.md")
    }

    // MARK: - serve

    func testServeAnswersThenStopsCleanlyOnSIGTERM() throws {
        let server = try ServerProcess(arguments: ["serve", "--config", config, "--host", "127.0.0.1", "--port", "0"], in: MaxServer.root)
        let metadata = try HTTPTestClient(port: try server.waitForPort()).send("GET", "/model/metadata")
        XCTAssertEqual(metadata.status, 200)
        XCTAssertTrue(metadata.text.contains("\"max-mnist-swift\""), metadata.text)
        XCTAssertEqual(server.stop(), 0, server.log)
        XCTAssertTrue(server.log.contains("stopped"), server.log)
        // Options go to serve when no command is named, and the environment is read.
        let implicit = try ServerProcess(arguments: ["--config", config], in: MaxServer.root,
                                         environment: ["APP_HOST": "127.0.0.1", "APP_PORT": "0"])
        XCTAssertEqual(try HTTPTestClient(port: try implicit.waitForPort()).send("GET", "/model/metadata").status, 200)
        XCTAssertEqual(implicit.stop(), 0, implicit.log)
    }

    /// A SIGTERM sent the moment the first answer arrives stops the server gracefully every
    /// time (a signal that came before the shutdown wait was set up used to be dropped, and the
    /// server then never stopped).
    func testSIGTERMRightAfterTheFirstAnswerStopsTheServer() throws {
        for attempt in 1...8 {
            let server = try ServerProcess(arguments: ["serve", "--config", config, "--host", "127.0.0.1", "--port", "0"], in: MaxServer.root)
            XCTAssertEqual(try HTTPTestClient(port: try server.waitForPort()).send("GET", "/model/metadata").status, 200)
            server.process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while server.process.isRunning && Date() < deadline { usleep(20_000) }
            XCTAssertFalse(server.process.isRunning, "attempt \(attempt): still running 10 s after SIGTERM: \(server.log)")
            XCTAssertEqual(server.stop(), 0, server.log)
            XCTAssertTrue(server.log.contains("received SIGTERM"), "attempt \(attempt): \(server.log)")
        }
    }

    func testServeFailsInOneLineForBadSettings() throws {
        assertFailure(try MaxServer.run(["serve", "--config", config, "--port", "abc"]), command: "serve", mentions: "server.port")
        assertFailure(try MaxServer.run(["serve", "--config", config, "--log-level", "loud"]), command: "serve", mentions: "server.log_level")
        assertFailure(try MaxServer.run(["serve", "--config", path("no/such/config.json")]), command: "serve", mentions: "no/such/config.json")
        let folder = try TemporaryFolder()
        let broken = try folder.write("config.json", "{\"server\": ")
        assertFailure(try MaxServer.run(["serve", "--config", broken.path]), command: "serve", mentions: "config.json")
        // The port is taken: a second server on the first one's port.
        let first = try ServerProcess(arguments: ["serve", "--config", config, "--host", "127.0.0.1", "--port", "0"], in: MaxServer.root)
        let port = try first.waitForPort()
        let second = try MaxServer.run(["serve", "--config", config, "--host", "127.0.0.1", "--port", String(port), "--log-level", "error"])
        assertFailure(second, command: "serve", mentions: String(port))
        XCTAssertEqual(first.stop(), 0)
    }
}
