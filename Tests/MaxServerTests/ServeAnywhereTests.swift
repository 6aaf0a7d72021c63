import Foundation
import MAXFramework
import TestSupport
import XCTest

/// `max-server` started where a user starts it: from an empty folder (built-in defaults), with
/// `--model`, with and without a config file.
final class ServeAnywhereTests: XCTestCase {
    func predictEight(_ port: Int) throws -> HTTPTestClient.Response {
        var form = MultipartBody()
        form.addFile(field: "file", fileName: "8.png", contentType: "image/png",
                     [UInt8](try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("samples/digit-8.png"))))
        return try HTTPTestClient(port: port).send("POST", "/model/predict", headers: [("Content-Type", form.contentType)],
                                                   body: form.finished())
    }

    func testFromAnEmptyFolderItServesTheBuiltInMNISTModel() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = try ServerProcess(arguments: ["--port", "0", "--host", "127.0.0.1"], in: folder)
        let port = try server.waitForPort()
        let metadata = try JSONValue.parse(try HTTPTestClient(port: port).send("GET", "/model/metadata").body)
        XCTAssertEqual(metadata["id"], .string("max-mnist-swift"))
        let answer = try JSONValue.parse(try predictEight(port).body)
        XCTAssertEqual(answer["predictions"]?.arrayValue?.first?["prediction"], .int(8))
        XCTAssertEqual(server.stop(), 0, "SIGTERM stops it cleanly")
        XCTAssertTrue(server.log.contains("running on built-in defaults"), server.log)
        XCTAssertTrue(server.log.contains("built in (assets/mnist_cnn.h5"), server.log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [], "nothing written where it ran")
    }

    func testModelFlagWorksWithoutAndWithAConfigFile() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = TestPaths.packageRoot.appendingPathComponent("assets/mnist_cnn.h5")
        try FileManager.default.copyItem(at: model, to: folder.appendingPathComponent("mine.h5"))

        let bare = try ServerProcess(arguments: ["--port", "0", "--host", "127.0.0.1", "--model", "mine.h5"], in: folder)
        let barePort = try bare.waitForPort()
        XCTAssertEqual(try predictEight(barePort).status, 200)
        _ = bare.stop()
        XCTAssertTrue(bare.log.contains("\(folder.path)/mine.h5 given explicitly"), bare.log)

        try Data(#"{"api": {"title": "Mine"}, "model": {"plugin": "mnist"}}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        let configured = try ServerProcess(arguments: ["--port", "0", "--host", "127.0.0.1", "--model", "mine.h5"], in: folder)
        let port = try configured.waitForPort()
        XCTAssertEqual(try predictEight(port).status, 200)
        _ = configured.stop()
        XCTAssertTrue(configured.log.contains("serving 'Mine'"), configured.log)
        XCTAssertTrue(configured.log.contains("mine.h5 given explicitly"), configured.log)
    }

    func testAModelFileInConfigIsFoundBesideTheConfigNotTheWorkingDirectory() throws {
        let folder = try emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let configFolder = folder.appendingPathComponent("deploy")
        try FileManager.default.createDirectory(at: configFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent("assets/mnist_cnn.h5"),
                                         to: configFolder.appendingPathComponent("digits.h5"))
        try Data(#"{"model": {"plugin": "mnist", "file": "digits.h5"}}"#.utf8).write(to: configFolder.appendingPathComponent("config.json"))
        let server = try ServerProcess(arguments: ["--config", "deploy/config.json", "--port", "0", "--host", "127.0.0.1"], in: folder)
        let port = try server.waitForPort()
        XCTAssertEqual(try predictEight(port).status, 200)
        _ = server.stop()
        XCTAssertTrue(server.log.contains("deploy/digits.h5 given explicitly"), server.log)
    }

    func testVersion() throws {
        let process = Process()
        process.executableURL = ServerProcess.binary
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
                       "max-server \(MAXVersion.current)\n")
    }
}
