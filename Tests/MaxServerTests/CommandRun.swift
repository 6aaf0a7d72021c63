import Foundation
import TestSupport
import XCTest

/// A `max-server` command run to completion, as a user runs it: arguments, environment and
/// working directory in; exit status, standard output and standard error out. (`ServerProcess`
/// runs `serve` in the background.)
enum MaxServer {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String

        /// Standard error without log lines (`YYYY-MM-DD HH:MM:SS,mmm level label: ...`).
        var messages: [String] {
            stderr.split(separator: "\n").map(String.init).filter { $0.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"#, options: .regularExpression) == nil }
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static let root = TestPaths.packageRoot

    static func process(_ arguments: [String], environment: [String: String], directory: URL?) throws -> Process {
        let binary = ServerProcess.binary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw Failure(description: "\(binary.path) is not built; run swift build first")
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        // A clean environment: the caller's MAX_* or APP_* settings must not leak in.
        var base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAX_") && !$0.key.hasPrefix("APP_") && $0.key != "CORS_ENABLE" }
        base["SWIFT_BACKTRACE"] = "enable=no"
        process.environment = base.merging(environment) { $1 }
        process.currentDirectoryURL = directory ?? root
        return process
    }

    /// Runs to completion (killed after `timeout` seconds, which fails the test).
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
                    timeout: Double = 60, file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        let process = try process(arguments, environment: environment, directory: directory)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        // Read both pipes while the process runs, so a full pipe cannot block it.
        let outText = PipeText(output), errText = PipeText(errors)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            XCTFail("max-server \(arguments.joined(separator: " ")) ran over \(timeout) s", file: file, line: line)
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: outText.finish(), stderr: errText.finish())
    }
}

/// Collects what a process writes to a pipe, as it arrives, with blocking reads on a thread of
/// its own. (Not `readabilityHandler`: on Linux tearing its dispatch source down races
/// libdispatch's epoll bookkeeping and crashes the test process in `_dispatch_event_loop_drain`;
/// swift-corelibs-libdispatch issue 949.)
final class PipeText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let ended = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        let handle = pipe.fileHandleForReading
        let reader = Thread { [self] in
            while true {
                let chunk = handle.availableData  // blocks; empty at end of file
                if chunk.isEmpty { break }
                lock.lock(); data.append(chunk); lock.unlock()
            }
            ended.signal()
        }
        reader.start()
    }

    /// Everything written so far.
    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self)
    }

    /// Everything, once the writer has closed the pipe (its process exited); what arrived
    /// within `timeout` seconds otherwise.
    func finish(timeout: Double = 10) -> String {
        _ = ended.wait(timeout: .now() + timeout)
        return text
    }
}
