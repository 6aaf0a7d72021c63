import Foundation
import MAXFramework

/// Every subcommand; the first is the default when none is named.
/// Add a command: write `XCommand.swift` with `static let command = Command(...)`, list it here.
let commands: [Command] = [
    ServeCommand.command,
    MetadataCommand.command,
    PredictCommand.command,
    VerifyAssetsCommand.command,
    HealthcheckCommand.command,
    DecodeCommand.command,
    H5lsCommand.command,
    ModelSummaryCommand.command,
    BenchCommand.command,
    CPUCommand.command,
    TrainCommand.command,
    DatasetCommand.command,
    EvaluateCommand.command,
]

/// Dispatches to a subcommand and exits with its status: 0 success, 1 failure, 2 usage error.
func runMain(_ arguments: [String]) -> Int32 {
    var arguments = arguments
    let topHelp = "usage: max-server [COMMAND] [OPTIONS]\n\ncommands:\n"
        + commands.map { "  \($0.name.padding(toLength: 16, withPad: " ", startingAt: 0))\($0.summary)" }
            .joined(separator: "\n")
        + "\n\nmax-server COMMAND --help shows a command's options; max-server --version prints the version."
    if arguments.first == "--help" || arguments.first == "-h" || arguments.first == "help" {
        print(topHelp)
        return 0
    }
    if arguments.first == "--version" || arguments.first == "version" {
        print("max-server \(MAXVersion.current)")
        return 0
    }
    let command: Command
    if let name = arguments.first, !name.hasPrefix("-") {
        guard let named = commands.first(where: { $0.name == name }) else {
            printError("max-server: unknown command '\(name)'\n\(topHelp)")
            return 2
        }
        command = named
        arguments.removeFirst()
    } else if let first = commands.first {
        command = first
    } else {
        printError("max-server: no commands are built in")
        return 2
    }
    do {
        let parsed = try command.spec.parse(arguments)
        if parsed.has("--help") {
            print(command.help)
            return 0
        }
        return try command.run(parsed)
    } catch let error as UsageError {
        printError("max-server \(command.name): \(error.description)\n\(command.help)")
        return 2
    } catch let failure as CommandFailure {
        printError("max-server \(command.name): \(failure.description)")
        return failure.exitCode
    } catch {
        printError("max-server \(command.name): \(error)")
        return 1
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

exit(runMain(Array(CommandLine.arguments.dropFirst())))
