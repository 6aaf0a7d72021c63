/// One `max-server` subcommand. Each lives in its own file as a static `command` and is listed
/// in `main.swift`; `run` gets the arguments after the subcommand's name.
struct Command {
    let name: String
    /// One line for `max-server --help`.
    let summary: String
    /// The full text for `max-server NAME --help`, starting with a `usage:` line.
    let help: String
    /// What the command accepts; anything else is a usage error (exit 2).
    let spec: ArgumentSpec
    /// Returns the process exit status; throws `CommandFailure` for a one-line error (exit 1).
    let run: (ParsedArguments) throws -> Int32
}

/// A failure to report as one readable line on standard error.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32
    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
