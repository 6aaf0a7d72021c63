/// The options a command accepts: `valued` take a value (`--port 5000` or `--port=5000`),
/// `flags` take none. `--help`/`-h` is always accepted.
struct ArgumentSpec {
    var valued: Set<String> = []
    var flags: Set<String> = []
    /// Positional arguments allowed: nil means any number.
    var maxPositionals: Int? = nil
    var minPositionals: Int = 0
    /// Valued options that may be repeated, their values joined with commas: `--numbers 0
    /// --numbers 1` is `--numbers 0,1` (how DVC's `parsing.list: append` unpacks a list).
    var lists: Set<String> = []
}

/// Arguments after parsing against a spec.
struct ParsedArguments {
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    func value(_ option: String) -> String? { values[option] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// An integer option, or a usage error naming it.
    func int(_ option: String) throws -> Int? {
        guard let text = values[option] else { return nil }
        guard let number = Int(text) else { throw UsageError("\(option) expects a whole number, got '\(text)'") }
        return number
    }
}

/// Wrong words on the command line: print the message and the usage, exit 2.
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ArgumentSpec {
    /// Parses `arguments`; `--` ends options. Unknown options and missing values are usage errors.
    func parse(_ arguments: [String]) throws -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        var optionsEnded = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsEnded || !argument.hasPrefix("-") || argument == "-" {
                parsed.positionals.append(argument)
                continue
            }
            if argument == "--" { optionsEnded = true; continue }
            if argument == "--help" || argument == "-h" { parsed.flags.insert("--help"); continue }
            var name = argument
            var inlineValue: String? = nil
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if valued.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else if index < arguments.count {
                    value = arguments[index]
                    index += 1
                } else {
                    throw UsageError("option \(name) needs a value")
                }
                if lists.contains(name), let earlier = parsed.values[name] {
                    parsed.values[name] = earlier + "," + value
                } else {
                    parsed.values[name] = value
                }
            } else if flags.contains(name), inlineValue == nil {
                parsed.flags.insert(name)
            } else {
                throw UsageError("unknown option \(name)")
            }
        }
        if parsed.has("--help") { return parsed }
        if parsed.positionals.count < minPositionals {
            throw UsageError("expected at least \(minPositionals) argument\(minPositionals == 1 ? "" : "s")")
        }
        if let maxPositionals, parsed.positionals.count > maxPositionals {
            throw UsageError("unexpected argument '\(parsed.positionals[maxPositionals])'")
        }
        return parsed
    }
}
