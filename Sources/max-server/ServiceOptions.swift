import Foundation
import Kernels
import Logging
import MAXFramework

/// The options every service command shares, and how they become a configuration.
enum ServiceOptions {
    static let valued: Set<String> = ["--config", "--host", "--port", "--log-level", "--log-format", "--model"]

    static let help = """
          --config FILE      config file (default: $MAX_CONFIG, else ./config.json if present)
          --host ADDRESS     listen address (server.host)
          --port PORT        listen port; 0 picks a free one (server.port)
          --log-level LEVEL  debug, info, warning or error (server.log_level)
          --log-format FMT   text, or json for one object per line (server.log_format)
          --model FILE       load this model file instead of model.asset, without an MD5 check (model.file)
          -h, --help         show this help
        """

    /// defaults < config file < environment < these flags. Warnings are logged; a bad value
    /// fails naming its key.
    static func configuration(_ arguments: ParsedArguments) throws -> (MAXConfiguration, Logger) {
        // The CPU probe (a child process) runs while the configuration is read.
        Kernels.startProbing()
        var overrides: [String: String] = [:]
        if let host = arguments.value("--host") { overrides["server.host"] = host }
        if let port = arguments.value("--port") { overrides["server.port"] = port }
        if let level = arguments.value("--log-level") { overrides["server.log_level"] = level }
        if let format = arguments.value("--log-format") { overrides["server.log_format"] = format }
        if let model = arguments.value("--model") { overrides["model.file"] = model }
        let file = arguments.value("--config").map { URL(fileURLWithPath: $0) }
        let loaded: LoadedConfiguration
        do {
            loaded = try MAXConfiguration.load(file: file, environment: ProcessInfo.processInfo.environment,
                                               overrides: overrides)
        } catch let error as ConfigurationError {
            throw CommandFailure(error.description)
        }
        ProcessSettings.apply(loaded.configuration)
        let logger = Logger(label: "max-server", level: loaded.configuration.logLevel, format: loaded.configuration.logFormat)
        for warning in loaded.warnings { logger.warning(warning) }
        if let source = loaded.source {
            logger.debug("configuration read from \(source.path)")
        } else {
            logger.info("no config file (no --config, MAX_CONFIG unset, no ./config.json): running on built-in defaults")
        }
        let kernels = try selectKernels()
        logger.info("CPU: \(kernels)")
        return (loaded.configuration, logger)
    }

    /// The CPU kernels for this process (MAX_CPU overrides); a class the CPU lacks is a start-up
    /// failure naming the classes it runs.
    static func selectKernels() throws -> KernelSelection {
        do {
            return try Kernels.select()
        } catch let error as KernelSelectionError {
            throw CommandFailure(error.description)
        }
    }

    /// Start-up failures (config, assets, plugin) as one readable line, exit 1.
    static func failure(_ error: Error) -> CommandFailure {
        if let failure = error as? CommandFailure { return failure }
        return CommandFailure("\(error)")
    }
}
