import Foundation
import MAXFramework

/// A CSV of numbers with a header line, as Kaggle's digit-recognizer files are
/// (`pixel0,...,pixel783` for test.csv, with a leading `label` column in train.csv). Each row
/// becomes a JSON object keyed by the header, the form a JSON-input model takes. Rows are made
/// into documents a chunk at a time (`documents(_:)`), so a large file never exists as one
/// document per cell all at once.
struct KaggleCSV {
    let header: [String]
    /// The data lines, with their line numbers (1 is the header).
    let lines: [(number: Int, text: Substring)]

    static func parse(_ bytes: [UInt8]) throws -> KaggleCSV {
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        // By scalar: a "\r\n" pair is one Character to Swift, so splitting Characters on "\n" misses it.
        var lines: [(number: Int, text: Substring)] = []
        var number = 0
        for line in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let trimmed = line.last == "\r" ? line.dropLast() : line
            if trimmed.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            lines.append((number, Substring(trimmed)))
        }
        guard let first = lines.first else { throw ModelError.unprocessable("the CSV is empty: send a header line and rows") }
        let header = first.text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        if let index = header.firstIndex(where: { $0.isEmpty || Double($0) != nil }) {
            throw ModelError.unprocessable("line \(first.number), column \(index + 1): the first line must be a header of names (pixel0,...,pixel783), got '\(header[index])'")
        }
        if let duplicate = header.enumerated().first(where: { header[..<$0.offset].contains($0.element) }) {
            throw ModelError.unprocessable("line \(first.number): the column '\(duplicate.element)' appears twice")
        }
        guard lines.count > 1 else { throw ModelError.unprocessable("the CSV has a header but no rows") }
        return KaggleCSV(header: header, lines: Array(lines.dropFirst()))
    }

    /// The rows of `range` (indices into `lines`) as documents, with their line numbers.
    func documents(_ range: Range<Int>) throws -> [(line: Int, document: JSONValue)] {
        try lines[range].map { line in
            let cells = line.text.split(separator: ",", omittingEmptySubsequences: false)
            guard cells.count == header.count else {
                throw ModelError.unprocessable("line \(line.number): \(cells.count) values; the header has \(header.count) columns")
            }
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(cells.count)
            for (name, cell) in zip(header, cells) {
                // Foundation's trimming costs a microsecond a cell; numeric cells rarely need it.
                let padded = cell.first == " " || cell.last == " " || cell.first == "\t" || cell.last == "\t"
                let trimmed = padded ? cell.trimmingCharacters(in: .whitespaces) : String(cell)
                if let whole = Int(trimmed) {
                    members.append((name, .int(whole)))
                } else if let number = Double(trimmed), number.isFinite {
                    members.append((name, .number(number)))
                } else {
                    throw ModelError.unprocessable("line \(line.number), \(name): '\(trimmed.prefix(40))' is not a number")
                }
            }
            return (line.number, .object(members))
        }
    }
}
