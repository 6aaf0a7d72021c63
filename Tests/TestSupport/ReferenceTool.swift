import Foundation

/// An independent program a test compares our code with (md5sum, Python's zlib, Pillow, ...).
/// Where it is missing the test is skipped with a message, except under CI (`CI=true`), where
/// a missing reference is a failure: CI installs every reference, so a silent skip there would
/// be a check that cannot fail.
public enum ReferenceTool {
    /// What a reference run printed.
    public struct Output {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Thrown where a reference is missing: `XCTSkip`-like outside CI (the caller decides), see `unavailable`.
    public struct Missing: Error, CustomStringConvertible {
        public let description: String
    }

    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The first executable of `candidates`, or nil.
    public static func find(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `name` as the shell finds it on PATH, or nil.
    public static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return find(path.split(separator: ":").map { "\($0)/\(name)" })
    }

    /// `python3` (the one on PATH, as `pip install` reaches it) when it can import every module
    /// in `modules`, else nil.
    public static func python(importing modules: [String] = []) -> String? {
        guard let python = onPath("python3") else { return nil }
        guard !modules.isEmpty else { return python }
        let check = try? run(python, ["-c", modules.map { "import \($0)" }.joined(separator: "; ")])
        return check?.status == 0 ? python : nil
    }

    /// Runs `scripts/<script>` with python3 (needing `modules`) and `arguments`.
    public static func runScript(_ script: String, _ arguments: [String], importing modules: [String] = []) throws -> Output? {
        guard let python = python(importing: modules) else { return nil }
        let path = TestPaths.packageRoot.appendingPathComponent("scripts").appendingPathComponent(script).path
        return try run(python, [path] + arguments)
    }

    /// Runs an executable to completion and collects its output.
    public static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read stderr on the side so neither pipe can fill up and block the child.
        let errorData = DataBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errorData.data = errors.fileHandleForReading.readDataToEndOfFile() }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
                      stderr: String(decoding: errorData.data, as: UTF8.self))
    }

    private final class DataBox: @unchecked Sendable { var data = Data() }

    /// The error to throw when a reference is missing: outside CI an `XCTSkip` made by the
    /// caller's `skip` closure; under CI a `Missing` failure naming what to install.
    public static func unavailable(_ what: String, install: String, skip: (String) -> Error) -> Error {
        let message = "\(what) is not available (\(install)); the comparison with it was not run"
        return isCI ? Missing(description: message + " - CI must install it") : skip(message)
    }
}
