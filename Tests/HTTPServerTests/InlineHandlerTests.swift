import Foundation
@testable import HTTPServer
import XCTest

/// After each epoll round the event loop runs a waiting request on its own thread (no hand-off
/// to a worker and back), yet a slow handler there never stalls the loop's other connections,
/// and concurrency stays bounded: `workerCount` handlers at once, the loop's thread one of them.
final class InlineHandlerTests: XCTestCase {
    private func threadName(_ server: TestServer) throws -> String {
        let client = try server.client()
        try client.send(get("/thread"))
        let response = try client.readResponse()
        XCTAssertEqual(response.statusCode, 200)
        return response.json?["thread"] as? String ?? ""
    }

    func testAQuickRequestRunsOnTheLoopThreadThatReadIt() throws {
        let server = try TestServer()
        usleep(50_000)  // the standby thread, started with the server, must be waiting first
        for _ in 0..<3 {
            let name = try threadName(server)
            XCTAssertTrue(name.hasPrefix("http-loop-0"), "an idle server should answer on its loop's thread, not \(name)")
        }
    }

    func testWithoutABudgetHandlersRunOnTheWorkers() throws {
        let server = try TestServer { $0.inlineHandlerBudget = 0 }
        let name = try threadName(server); XCTAssertTrue(name.hasPrefix("http-worker"), name)
    }

    func testASlowHandlerOnTheLoopThreadDoesNotStallOtherClients() throws {
        // One worker and no extra ones: the slow request runs on the loop's thread (the server
        // is idle), so the quick one can only be read and answered if the standby took over.
        let server = try TestServer { $0.workerCount = 1; $0.maxExtraWorkers = 0 }
        let slow = try server.client(timeout: 10)
        try slow.send(get("/sleep?ms=1200"))
        usleep(150_000)
        try server.assertQuickRequestsAnswered(despite: "the slow handler")
        let answer = try slow.readResponse()
        XCTAssertEqual(answer.statusCode, 200)
        XCTAssertEqual(answer.json?["slept"] as? Int, 1200)
        // The loop is whole again: keep-alive on the slow client's connection still works.
        try slow.send(get("/after"))
        XCTAssertEqual(try slow.readResponse().statusCode, 200)
    }

    func testHandlersRunAtMostWorkerCountTheLoopIncluded() throws {
        HandlerGauge.shared.reset()
        let server = try TestServer { $0.workerCount = 2; $0.maxExtraWorkers = 0 }
        let clients = try (0..<8).map { _ in try server.client(timeout: 10) }
        for client in clients { try client.send(get("/gauge?ms=150")) }
        for client in clients { XCTAssertEqual(try client.readResponse().statusCode, 200) }
        let peak = HandlerGauge.shared.mostAtOnce
        // 150 ms outlives the budget, so the standby takes the loop over while the old thread
        // finishes its handler; the new owner runs none of its own until that one is done.
        XCTAssertEqual(peak, 2, "the loop's thread and one pool thread may run handlers, no more")
    }

    func testThePoolGetsTheThreadsTheLoopsDoNotTake() {
        var configuration = HTTPServerConfiguration()
        configuration.workerCount = 4
        XCTAssertEqual(configuration.resolvedPoolThreadCount, 3)
        configuration.eventLoopCount = 2
        XCTAssertEqual(configuration.resolvedPoolThreadCount, 2)
        configuration.workerCount = 1
        XCTAssertEqual(configuration.resolvedPoolThreadCount, 1, "the pool always keeps a thread")
        configuration.inlineHandlerBudget = 0
        configuration.workerCount = 4
        XCTAssertEqual(configuration.resolvedPoolThreadCount, 4, "no handler runs on a loop")
    }

    func testPipelinedRequestsRunInlineAreAnsweredInOrder() throws {
        let server = try TestServer()
        let client = try server.client()
        try client.send((0..<20).map { get("/p\($0)") }.joined())
        for index in 0..<20 {
            let response = try client.readResponse()
            XCTAssertEqual(response.statusCode, 200)
            XCTAssertEqual(response.json?["path"] as? String, "/p\(index)")
        }
    }

    func testTheStandbyTakesOverAndHandsBackAgainAndAgain() throws {
        // Every slow handler makes the threads swap roles; quick requests keep flowing between.
        let server = try TestServer { $0.workerCount = 1; $0.maxExtraWorkers = 0; $0.inlineHandlerBudget = 0.001 }
        for round in 0..<5 {
            let slow = try server.client()
            try slow.send(get("/sleep?ms=30"))
            let quick = try server.client()
            try quick.send(get("/quick-\(round)"))
            XCTAssertEqual(try quick.readResponse().statusCode, 200)
            XCTAssertEqual(try slow.readResponse().statusCode, 200)
        }
        XCTAssertTrue(try threadName(server).hasPrefix("http-loop-0"))
    }
}
