import Foundation
import XCTest

/// The built `max-server` binary run as a user runs it: a child process in a folder of the
/// test's choosing, its log read from standard error.
final class ServerProcess {
    let process = Process()
    private let errorPipe = Pipe()
    private let errorText: PipeText

    /// The binary beside the test bundle (`swift build` puts both in .build/<configuration>).
    static var binary: URL {
        let bundle = Bundle(for: ServerProcess.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("max-server") }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    init(arguments: [String], in folder: URL, environment: [String: String] = [:]) throws {
        process.executableURL = ServerProcess.binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MAX_") && !$0.key.hasPrefix("APP_") }
        inherited.merge(environment) { $1 }
        process.environment = inherited
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        errorText = PipeText(errorPipe)
        try process.run()
    }

    var log: String { errorText.text }

    /// Waits for the start-up line naming the port, or fails with the log so far.
    func waitForPort(timeout: TimeInterval = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let range = log.range(of: #"serving '[^']*' on http://[^ ]*:(\d+)/"#, options: .regularExpression) {
                let line = String(log[range])
                if let port = line.split(separator: ":").last.flatMap({ Int($0.dropLast()) }) { return port }
            }
            if !process.isRunning { break }
            usleep(50_000)
        }
        throw ServerStartFailure("max-server did not start: \(log)")
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// A start-up failure reported as a test failure with the server's log.
struct ServerStartFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A folder that disappears with the test.
func emptyFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("max-server-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
