import Foundation
import HTTPServer
import MAXFramework
import TestSupport
import XCTest

/// The keys issue 13 added (deadlines, budgets, download limits): read from config.json and the
/// environment, refused when unusable, and handed to the HTTP server.
final class RobustnessConfigurationTests: XCTestCase {
    private func load(_ json: String, environment: [String: String] = [:]) throws -> MAXConfiguration {
        let folder = try TemporaryFolder()
        let file = try folder.write("config.json", json)
        return try MAXConfiguration.load(file: file, environment: environment, workingDirectory: folder.url).configuration
    }

    func testHeaderTimeoutIsReadAndReachesTheServer() throws {
        XCTAssertEqual(try load("{}").headerTimeout, 10)
        let configuration = try load(#"{"limits": {"header_timeout": 2.5}}"#)
        XCTAssertEqual(configuration.headerTimeout, 2.5)
        XCTAssertEqual(MAXService.serverConfiguration(configuration).headerTimeout, 2.5)
        XCTAssertEqual(try load(#"{"limits": {"header_timeout": 2.5}}"#, environment: ["MAX_HEADER_TIMEOUT": "4"]).headerTimeout, 4)
        XCTAssertThrowsError(try load(#"{"limits": {"header_timeout": 0}}"#)) { error in
            XCTAssertTrue("\(error)".contains("limits.header_timeout"), "\(error)")
        }
    }
}
