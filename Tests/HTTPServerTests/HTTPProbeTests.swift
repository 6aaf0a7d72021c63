import Foundation
import Glibc
import HTTPServer
import XCTest

/// The health-check client against a real server, a closed port and a server that never answers.
final class HTTPProbeTests: XCTestCase {
    func testReadsStatusAndBodyOfARealServer() throws {
        let server = try TestServer()
        let answer = try HTTPProbe.get(host: "127.0.0.1", port: server.port, path: "/health?x=1", timeout: 3)
        XCTAssertEqual(answer.status, 200)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        XCTAssertEqual(json["path"] as? String, "/health")
        XCTAssertEqual(json["method"] as? String, "GET")
        let failing = try HTTPProbe.get(host: "localhost", port: server.port, path: "/fail", timeout: 3)
        XCTAssertEqual(failing.status, 500)
    }

    func testAClosedPortIsRefusedAtOnce() throws {
        let server = try TestServer()
        let port = server.port
        server.server.shutdown()
        let started = Date()
        XCTAssertThrowsError(try HTTPProbe.get(host: "127.0.0.1", port: port, path: "/", timeout: 3)) { error in
            XCTAssertTrue("\(error)".contains("Connection refused"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
    }

    func testAServerThatNeverAnswersTimesOut() throws {
        // A listening socket nobody accepts from: the connection completes, no answer ever comes.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let started = Date()
        XCTAssertThrowsError(try HTTPProbe.get(host: "127.0.0.1", port: port, path: "/", timeout: 0.4)) { error in
            XCTAssertTrue("\(error)".contains("timed out waiting for the answer"), "\(error)")
        }
        let waited = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(waited, 0.3)
        XCTAssertLessThan(waited, 2)
    }

    func testAnUnknownHostIsNamed() {
        XCTAssertThrowsError(try HTTPProbe.get(host: "no-such-host.invalid", port: 80, path: "/", timeout: 2)) { error in
            XCTAssertTrue("\(error)".contains("cannot resolve 'no-such-host.invalid'"), "\(error)")
        }
    }
}
