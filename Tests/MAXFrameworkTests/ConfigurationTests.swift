import Foundation
import Logging
import MAXFramework
import TestSupport
import XCTest

/// defaults < config.json < environment < flags; bad values name their key.
final class ConfigurationTests: XCTestCase {
    var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }

    func load(_ json: String?, environment: [String: String] = [:], overrides: [String: String] = [:]) throws -> LoadedConfiguration {
        let file = try json.map { try folder.write("config.json", $0) }
        // Without a file, run from an empty folder so no earlier config.json is picked up.
        let workingDirectory = json == nil ? try emptyFolder() : folder.url
        return try MAXConfiguration.load(file: file, environment: environment, overrides: overrides,
                                         workingDirectory: workingDirectory)
    }

    func emptyFolder() throws -> URL {
        let url = folder.url.appendingPathComponent("empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func assertError(_ json: String?, environment: [String: String] = [:], overrides: [String: String] = [:],
                     mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(json, environment: environment, overrides: overrides), file: file, line: line) { error in
            XCTAssertTrue(error is ConfigurationError, "\(error)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' should mention \(fragment)", file: file, line: line)
            }
        }
    }

    func testEmptyObjectGivesDefaults() throws {
        let loaded = try load("{}")
        let defaults = MAXConfiguration(baseDirectory: folder.url)
        XCTAssertEqual(loaded.configuration.port, 5000)
        XCTAssertEqual(loaded.configuration.host, defaults.host)
        XCTAssertEqual(loaded.configuration.logLevel, .info)
        XCTAssertFalse(loaded.configuration.corsEnabled)
        XCTAssertEqual(loaded.configuration.modelPlugin, "mnist", "the MNIST model is served by default")
        XCTAssertEqual(loaded.configuration.models.count, 1)
        XCTAssertTrue(loaded.warnings.isEmpty)
        XCTAssertEqual(loaded.configuration.baseDirectory.standardizedFileURL.path, folder.url.standardizedFileURL.path)
    }

    func testNoFileAtAllGivesDefaults() throws {
        let loaded = try load(nil)
        XCTAssertNil(loaded.source)
        XCTAssertEqual(loaded.configuration.port, 5000)
    }

    func testEveryKeyIsReadFromTheFile() throws {
        let loaded = try load("""
            {
              "api": {"title": "T", "description": "D", "version": "2.0.1"},
              "server": {"host": "127.0.0.1", "port": 8081, "log_level": "debug", "cors": true, "workers": 3},
              "limits": {"max_upload_bytes": 1000, "max_image_pixels": 4096, "request_timeout": 2.5},
              "model": {"plugin": "byte-stats", "asset": "assets/m.h5", "metadata": {"name": "N"}, "options": {"k": 1}},
              "assets": {"checksums": "sums.txt", "download_timeout": 9,
                         "files": [{"path": "assets/m.h5", "url": "https://example.com/m.h5"}, {"path": "assets/extra"}]}
            }
            """)
        let configuration = loaded.configuration
        XCTAssertEqual(loaded.warnings, [])
        XCTAssertEqual([configuration.apiTitle, configuration.apiDescription, configuration.apiVersion], ["T", "D", "2.0.1"])
        XCTAssertEqual(configuration.host, "127.0.0.1")
        XCTAssertEqual(configuration.port, 8081)
        XCTAssertEqual(configuration.logLevel, .debug)
        XCTAssertTrue(configuration.corsEnabled)
        XCTAssertEqual(configuration.workers, 3)
        XCTAssertEqual(configuration.maxUploadBytes, 1000)
        XCTAssertEqual(configuration.maxImagePixels, 4096)
        XCTAssertEqual(configuration.requestTimeout, 2.5)
        XCTAssertEqual(configuration.modelPlugin, "byte-stats")
        XCTAssertEqual(configuration.modelAsset, "assets/m.h5")
        XCTAssertEqual(configuration.modelMetadata, ["name": "N"])
        XCTAssertEqual(configuration.modelOptions["k"], .int(1))
        XCTAssertEqual(configuration.checksumFile, "sums.txt")
        XCTAssertEqual(configuration.downloadTimeout, 9)
        XCTAssertEqual(configuration.assets, [AssetSpec(path: "assets/m.h5", url: URL(string: "https://example.com/m.h5")),
                                              AssetSpec(path: "assets/extra")])
        XCTAssertEqual(configuration.resolve("assets/m.h5").path, folder.url.appendingPathComponent("assets/m.h5").path)
    }

    func testEnvironmentOverridesFileAndFlagsOverrideBoth() throws {
        let json = #"{"server": {"host": "10.0.0.1", "port": 7000, "log_level": "error", "cors": false}}"#
        let environment = ["APP_HOST": "127.0.0.2", "APP_PORT": "7001", "APP_LOG": "warning", "CORS_ENABLE": "true",
                           "MAX_API_TITLE": "From env"]
        let fromEnvironment = try load(json, environment: environment).configuration
        XCTAssertEqual(fromEnvironment.host, "127.0.0.2")
        XCTAssertEqual(fromEnvironment.port, 7001)
        XCTAssertEqual(fromEnvironment.logLevel, .warning)
        XCTAssertTrue(fromEnvironment.corsEnabled)
        XCTAssertEqual(fromEnvironment.apiTitle, "From env")

        let flagged = try load(json, environment: environment, overrides: ["server.port": "7002", "server.host": "::1"]).configuration
        XCTAssertEqual(flagged.port, 7002)
        XCTAssertEqual(flagged.host, "::1")
        XCTAssertEqual(flagged.logLevel, .warning, "untouched by flags")
    }

    func testLogFormatFromFileAndEnvironment() throws {
        XCTAssertEqual(try load(nil).configuration.logFormat, .text)
        XCTAssertEqual(try load(#"{"server": {"log_format": "json"}}"#).configuration.logFormat, .json)
        XCTAssertEqual(try load(#"{"server": {"log_format": "json"}}"#, environment: ["MAX_LOG_FORMAT": "TEXT"])
            .configuration.logFormat, .text)
        assertError(#"{"server": {"log_format": "xml"}}"#, mentions: ["server.log_format", "text or json", "\"xml\""])
    }

    func testMAXNamesWinOverTheBorrowedNames() throws {
        let configuration = try load(nil, environment: ["APP_PORT": "7001", "MAX_PORT": "7003"]).configuration
        XCTAssertEqual(configuration.port, 7003)
    }

    func testWebAppIsOnUnlessTurnedOffAsMAXDoes() throws {
        XCTAssertTrue(try load(nil).configuration.webAppEnabled)
        XCTAssertFalse(try load(#"{"server": {"web_app": false}}"#).configuration.webAppEnabled)
        XCTAssertFalse(try load(nil, environment: ["DISABLE_WEB_APP": "true"]).configuration.webAppEnabled)
        XCTAssertTrue(try load(#"{"server": {"web_app": false}}"#, environment: ["DISABLE_WEB_APP": "false"]).configuration.webAppEnabled)
        XCTAssertTrue(try load(nil, environment: ["DISABLE_WEB_APP": "true", "MAX_WEB_APP": "on"]).configuration.webAppEnabled,
                      "the MAX_ name wins")
        assertError(nil, environment: ["DISABLE_WEB_APP": "maybe"], mentions: ["server.web_app", "DISABLE_WEB_APP", "'maybe'"])
    }

    func testEveryScalarKeyHasAMAXEnvironmentName() {
        for setting in ConfigurationKeys.all {
            XCTAssertTrue(setting.environment.contains { $0.hasPrefix("MAX_") }, setting.key)
            XCTAssertEqual(setting.environment.last?.hasPrefix("MAX_"), true, "\(setting.key): the MAX_ name is applied last")
        }
    }

    func testBadValuesNameTheirKey() {
        assertError(#"{"server": {"port": "five"}}"#, mentions: ["server.port", "\"five\""])
        assertError(#"{"server": {"port": 70000}}"#, mentions: ["server.port", "0 to 65535"])
        assertError(#"{"server": {"cors": "yes"}}"#, mentions: ["server.cors"])
        assertError(#"{"server": {"log_level": "loud"}}"#, mentions: ["server.log_level"])
        assertError(#"{"server": 5}"#, mentions: ["server", "expected an object"])
        assertError(#"{"limits": {"request_timeout": -1}}"#, mentions: ["limits.request_timeout"])
        assertError(#"{"assets": {"files": [{"url": "http://x"}]}}"#, mentions: ["assets.files[0].path"])
        assertError(#"{"assets": {"files": [{"path": "a", "url": "ftp://x/a"}]}}"#, mentions: ["assets.files[0].url"])
        assertError(#"{"assets": {"files": [{"path": "../etc/passwd"}]}}"#, mentions: ["assets.files[0].path"])
        assertError(#"{"model": {"asset": "assets/none.h5"}}"#, mentions: ["model.asset", "assets/none.h5"])
        assertError(#"{"model": {"metadata": {"name": 3}}}"#, mentions: ["model.metadata.name"])
        assertError(#"[1, 2]"#, mentions: ["top level"])
        assertError("{\"server\": {\"port\": 1,}}", mentions: ["config.json", "line 1"])
        assertError(nil, environment: ["APP_PORT": "http"], mentions: ["server.port", "APP_PORT"])
        assertError(nil, environment: ["CORS_ENABLE": "maybe"], mentions: ["server.cors", "CORS_ENABLE"])
        assertError(nil, overrides: ["server.port": "-1"], mentions: ["server.port", "command line"])
    }

    func testMissingExplicitFileIsAnError() {
        XCTAssertThrowsError(try MAXConfiguration.load(file: folder.url.appendingPathComponent("absent.json"))) { error in
            XCTAssertTrue("\(error)".contains("absent.json"))
        }
    }

    func testUnknownKeysWarnWithASuggestion() throws {
        let loaded = try load(#"{"server": {"prot": 1}, "modle": {}, "model": {"metadata": {"author": "x"}}}"#)
        XCTAssertEqual(loaded.warnings.count, 3, "\(loaded.warnings)")
        XCTAssertTrue(loaded.warnings.contains { $0.contains("'server.prot'") && $0.contains("did you mean 'server.port'") })
        XCTAssertTrue(loaded.warnings.contains { $0.contains("'modle'") && $0.contains("'model'") }, "\(loaded.warnings)")
        XCTAssertTrue(loaded.warnings.contains { $0.contains("author") })
    }

    func testConfigFileFoundFromEnvironmentOrWorkingDirectory() throws {
        try folder.write("elsewhere/custom.json", #"{"server": {"port": 6001}}"#)
        let fromEnvironment = try MAXConfiguration.load(environment: ["MAX_CONFIG": "elsewhere/custom.json"], workingDirectory: folder.url)
        XCTAssertEqual(fromEnvironment.configuration.port, 6001)
        XCTAssertEqual(fromEnvironment.configuration.baseDirectory.lastPathComponent, "elsewhere", "paths resolve beside the config file")
        try folder.write("config.json", #"{"server": {"port": 6002}}"#)
        XCTAssertEqual(try MAXConfiguration.load(workingDirectory: folder.url).configuration.port, 6002)
    }

    /// The project's config.json loads without warnings.
    func testProjectConfigIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config.json")
        let loaded = try MAXConfiguration.load(file: url)
        XCTAssertEqual(loaded.warnings, [])
        XCTAssertEqual(loaded.configuration.port, 5000)
    }
}
