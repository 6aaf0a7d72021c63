import Foundation
import ImageCodecs
import MNIST

/// `max-server find-digits IMAGE...`: the digit finder alone, no model: where it sees digits
/// and the ways it would read them, one JSON line per picture. `--fields` also writes what the
/// model would be fed (for training on what the finder makes of generated pictures).
enum FindDigitsCommand {
    static let command = Command(
        name: "find-digits",
        summary: "show where the digit finder sees digits in pictures (no model)",
        help: """
        usage: max-server find-digits IMAGE... [--fields OUT.csv] [--label N] [--max-digits N]

        Prints one line of JSON per picture: {"file", "blank", "omitted", "candidates"}, where each
        candidate lists its readings and each reading the boxes [x, y, width, height] of its
        digits, left to right (the model picks one reading per candidate).
          --fields FILE     append every digit field of every reading to FILE as MNIST CSV rows
                            (label, then 784 values 0-255, light digit on black)
          --label N         the label written in the first column of --fields rows (default 10)
          --max-digits N    digits read per picture at most (default 100)
        """,
        spec: ArgumentSpec(valued: ["--fields", "--label", "--max-digits"], minPositionals: 1),
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> Int32 {
        var options = DigitFinderOptions()
        if let cap = try arguments.int("--max-digits") {
            guard cap > 0 else { throw UsageError("--max-digits must be positive") }
            options.maxDigits = cap
        }
        let label = try arguments.int("--label") ?? 10
        let finder = DigitFinder(options: options)
        var fields: FileHandle?
        if let path = arguments.value("--fields") {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CommandFailure("cannot create \(path)") }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CommandFailure("cannot write \(path)") }
            handle.seekToEndOfFile()
            fields = handle
        }
        defer { fields?.closeFile() }
        var status: Int32 = 0
        for path in arguments.positionals {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("max-server find-digits: cannot read \(path)")
                status = 1
                continue
            }
            let image: Image
            do {
                image = try ImageDecoder.decode([UInt8](data))
            } catch {
                printError("max-server find-digits: \(path): \(error)")
                status = 1
                continue
            }
            let found = finder.find(in: image)
            let candidates = found.candidates.map { candidate in
                "[" + candidate.readings.map { reading in
                    "[" + reading.map { "[\($0.box.x), \($0.box.y), \($0.box.width), \($0.box.height)]" }.joined(separator: ", ") + "]"
                }.joined(separator: ", ") + "]"
            }
            let name = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            print("{\"file\": \"\(name)\", \"blank\": \(found.blank), \"omitted\": \(found.omitted), \"candidates\": [\(candidates.joined(separator: ", "))]}")
            if let fields {
                var text = ""
                for region in found.candidates.flatMap({ $0.readings.flatMap { $0 } }) {
                    text += "\(label)," + region.field.map { String(Int($0)) }.joined(separator: ",") + "\n"
                }
                fields.write(Data(text.utf8))
            }
        }
        return status
    }
}
