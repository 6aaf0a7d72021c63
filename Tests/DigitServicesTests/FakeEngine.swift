import Foundation
import HTTPServer
import Logging
import MAXFramework

/// An orchestration engine on loopback that records every request it receives and answers
/// with the status the test sets (200 unless told otherwise).
final class FakeEngine: @unchecked Sendable {
    struct Received { let method: String; let target: String; let body: JSONValue? }
    private final class Recorder: @unchecked Sendable { weak var engine: FakeEngine? }
    private let lock = NSCondition()
    private var received: [Received] = []
    private var status = 200
    let server: HTTPServer

    init() throws {
        var configuration = HTTPServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.workerCount = 2
        // The handler reaches the engine weakly, so the server it owns does not keep it alive.
        let recorder = Recorder()
        server = HTTPServer(configuration: configuration, logger: Logger(label: "engine", level: .error, sink: { _ in }),
                            handler: { request in recorder.engine?.record(request) ?? .json(HTTPStatus(503, "Gone"), "{}") })
        recorder.engine = self
        try server.start()
    }

    deinit { server.shutdown() }

    var url: String { "http://127.0.0.1:\(server.localPort)" }

    func answer(with status: Int) { lock.lock(); self.status = status; lock.unlock() }

    private func record(_ request: HTTPRequest) -> HTTPResponse {
        lock.lock()
        received.append(Received(method: request.method, target: request.target, body: try? JSONValue.parse(request.body)))
        let status = self.status
        lock.broadcast()
        lock.unlock()
        return .json(HTTPStatus(status, status == 200 ? "OK" : "Failed"), "{}")
    }

    /// Waits until `count` requests matching `filter` arrived (or `timeout` passed); returns them.
    func wait(for count: Int, timeout: Double = 10, where filter: (Received) -> Bool = { _ in true }) -> [Received] {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while received.filter(filter).count < count, lock.wait(until: deadline) {}
        return received.filter(filter)
    }
}
