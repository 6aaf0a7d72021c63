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

    func testMemoryBudgetsAndConnectionCapReachTheServer() throws {
        let defaults = try load("{}")
        XCTAssertEqual(defaults.bodyMemoryBudget, 128 << 20)
        XCTAssertEqual(defaults.imageMemoryBudget, 512 << 20)
        XCTAssertEqual(defaults.memoryWait, 1)
        XCTAssertEqual(defaults.maxConnections, 1024)
        let configuration = try load("""
            {"limits": {"body_memory_budget": 50000000, "image_memory_budget": 70000000, "memory_wait": 0.5},
             "server": {"max_connections": 300}}
            """)
        XCTAssertEqual(configuration.imageMemoryBudget, 70_000_000)
        let server = MAXService.serverConfiguration(configuration)
        XCTAssertEqual(server.maxBufferedBodyBytes, 50_000_000)
        XCTAssertEqual(server.bufferedBodyWait, 0.5)
        XCTAssertEqual(server.maxConnections, 300)
        XCTAssertEqual(try load("{}", environment: ["MAX_CONNECTIONS": "77", "MAX_MEMORY_WAIT": "2"]).maxConnections, 77)
        XCTAssertThrowsError(try load(#"{"limits": {"body_memory_budget": 1000, "max_upload_bytes": 2000}}"#)) { error in
            XCTAssertTrue("\(error)".contains("limits.body_memory_budget"), "\(error)")
            XCTAssertTrue("\(error)".contains("max_upload_bytes"), "\(error)")
        }
    }
}
