import Foundation
import HTTPServer
import MAXFramework

enum HealthcheckCommand {
    /// `max-server healthcheck`: Docker's HEALTHCHECK without curl in the image.
    static let command = Command(
        name: "healthcheck",
        summary: "ask a running server whether it is ready; exit 0 if so, 1 if not",
        help: """
        usage: max-server healthcheck [--port PORT] [--host ADDRESS] [--path PATH] [--timeout SECONDS] [--config FILE]

        GETs PATH (default /health/ready) from the server on this machine and exits 0 on a 2xx
        answer, 1 otherwise, printing one line. The port is the server's: --port, else
        APP_PORT / MAX_PORT, else config.json's server.port, else 5000. A server listening on
        every address (0.0.0.0, ::) is asked on 127.0.0.1.

        options:
          --port PORT        port to ask
          --host ADDRESS     address to ask (default: server.host, loopback for 0.0.0.0 and ::)
          --path PATH        route to GET (default /health/ready; /health/live for liveness)
          --timeout SECONDS  give up after this long (default 3)
          --config FILE      config file (default: $MAX_CONFIG, else ./config.json if present)
          -h, --help         show this help
        """,
        spec: ArgumentSpec(valued: ["--port", "--host", "--path", "--timeout", "--config"], maxPositionals: 0),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        var overrides: [String: String] = [:]
        if let port = arguments.value("--port") { overrides["server.port"] = port }
        if let host = arguments.value("--host") { overrides["server.host"] = host }
        let file = arguments.value("--config").map { URL(fileURLWithPath: $0) }
        let configuration: MAXConfiguration
        do {
            configuration = try MAXConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment,
                                                      overrides: overrides).configuration
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description)
        }
        let path = arguments.value("--path") ?? "/health/ready"
        guard path.hasPrefix("/"), !path.utf8.contains(where: { $0 <= 32 || $0 == 127 }) else {
            throw UsageError("--path must start with / and hold no spaces, got '\(path)'")
        }
        let timeoutText = arguments.value("--timeout") ?? "3"
        guard let timeout = Double(timeoutText), timeout > 0, timeout.isFinite else {
            throw UsageError("--timeout expects a positive number of seconds, got '\(timeoutText)'")
        }
        let host = probeHost(configuration.host)
        let port = configuration.port
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)\(path)"
        guard port > 0 else { throw CommandFailure("server.port is 0 (a free port chosen at start-up): give --port") }
        let answer: HTTPProbe.Answer
        do {
            answer = try HTTPProbe.get(host: host, port: port, path: path, timeout: timeout)
        } catch let error as HTTPServerError {
            throw CommandFailure("\(url): \(error.description)")
        }
        guard (200..<300).contains(answer.status) else {
            let body = String(decoding: answer.body.prefix(200), as: UTF8.self)
                .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
            throw CommandFailure("\(url) answered \(answer.status)\(body.isEmpty ? "" : ": \(body)")")
        }
        print("\(url) answered \(answer.status)")
        return 0
    }

    /// Where to reach a server that listens on `host`: its wildcard addresses mean this machine.
    /// `::` is dual-stack, so it is asked over IPv4 too: containers often have no IPv6 loopback.
    static func probeHost(_ host: String) -> String {
        switch host {
        case "", "0.0.0.0", "::", "[::]": return "127.0.0.1"
        default: return host
        }
    }
}
