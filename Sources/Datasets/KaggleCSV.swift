/// Kaggle's digit-recognizer layout: `label,pixel0,...,pixel783`, one image per row, pixels
/// 0-255 row-major (ink high). The header row is optional; `\r\n` line ends and spaces around
/// numbers are accepted. Kaggle's unlabelled `test.csv` (pixels only) is refused with a message
/// saying so, since training needs labels.
public enum KaggleCSV {
    /// Parses CSV text (already decompressed). Every row must hold a label in
    /// 0..<classNames.count and exactly `shape.valueCount` whole numbers 0-255.
    public static func read(_ bytes: [UInt8], shape: ImageShape = ImageShape(height: 28, width: 28),
                            classNames: [String] = LabelledImages.digitClassNames(),
                            limits: DatasetLimits = .default) throws -> LabelledImages {
        let columns = shape.valueCount + 1
        var labels: [Int] = []
        var pixels: [UInt8] = []
        var fields: [Int] = []
        fields.reserveCapacity(columns)
        var line = 0
        var index = 0
        var sawContent = false
        let count = bytes.count
        guard bytes.contains(where: { !isSpace($0) }) else { throw DatasetError.invalid("the file is empty") }
        try bytes.withUnsafeBufferPointer { text in
            while index < count {
                line += 1
                let start = index
                while index < count && text[index] != 0x0A { index += 1 }
                var end = index
                index += 1  // past '\n'
                while end > start && isSpace(text[end - 1]) { end -= 1 }
                var position = start
                while position < end && isSpace(text[position]) { position += 1 }
                if position == end { continue }  // blank line
                defer { sawContent = true }
                if !sawContent && isHeaderStart(text[position]) {
                    try checkHeader(text, position, end, columns: columns, shape: shape)
                    continue
                }
                fields.removeAll(keepingCapacity: true)
                try parseRow(text, from: position, to: end, line: line, into: &fields)
                guard fields.count == columns else {
                    if fields.count == columns - 1 {
                        throw DatasetError.invalid(
                            "line \(line) has \(fields.count) values: a label and \(shape.valueCount) pixels (\(shape)) are expected; pixels without labels (Kaggle's test.csv?) cannot train")
                    }
                    throw DatasetError.invalid(
                        "line \(line) has \(fields.count) values, expected \(columns): a label and \(shape.valueCount) pixels (\(shape))")
                }
                let label = fields[0]
                guard label < classNames.count else {
                    throw DatasetError.invalid("line \(line): label \(label) is outside 0-\(classNames.count - 1)")
                }
                guard pixels.count + shape.valueCount <= limits.maxValues else {
                    throw DatasetError(.tooLarge, "more than \(limits.maxValues) pixel values (line \(line))")
                }
                for column in 1..<columns {
                    let value = fields[column]
                    guard value <= 255 else {
                        throw DatasetError.invalid("line \(line), column \(column + 1): pixel value \(value) is outside 0-255")
                    }
                    pixels.append(UInt8(value))
                }
                labels.append(label)
            }
        }
        guard !labels.isEmpty else { throw DatasetError.invalid("the file has a header but no rows of data") }
        return LabelledImages(unchecked: shape, pixels: .bytes(pixels), labels: labels, classNames: classNames)
    }

    private static func checkHeader(_ text: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, columns: Int,
                                    shape: ImageShape) throws {
        var names: [String] = []
        var fieldStart = start
        for position in start...end where position == end || text[position] == UInt8(ascii: ",") {
            var a = fieldStart, b = position
            while a < b && (isSpace(text[a]) || text[a] == UInt8(ascii: "\"")) { a += 1 }
            while b > a && (isSpace(text[b - 1]) || text[b - 1] == UInt8(ascii: "\"")) { b -= 1 }
            names.append(String(decoding: UnsafeBufferPointer(rebasing: text[a..<b]), as: UTF8.self))
            fieldStart = position + 1
        }
        guard names.first?.lowercased() == "label" else {
            throw DatasetError.invalid(
                "the header's first column is '\(names.first ?? "")', not 'label': the file has no labels (Kaggle's test.csv?) and cannot train")
        }
        guard names.count == columns else {
            throw DatasetError.invalid("the header has \(names.count) columns, expected \(columns): label and \(shape.valueCount) pixels (\(shape))")
        }
    }

    /// Comma-separated non-negative integers; anything else names the line and column.
    private static func parseRow(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, line: Int,
                                 into fields: inout [Int]) throws {
        var position = start
        while true {
            while position < end && isSpace(text[position]) { position += 1 }
            var value = 0
            var digits = 0
            while position < end, isDigit(text[position]) {
                value = value * 10 + Int(text[position] - 48)
                digits += 1
                position += 1
                guard digits <= 9 else {
                    throw DatasetError.invalid("line \(line), column \(fields.count + 1): the number is too long")
                }
            }
            // "12.0" is accepted as 12 (some exporters write floats); "12.5" is not.
            if position < end && text[position] == UInt8(ascii: ".") && digits > 0 {
                position += 1
                while position < end && text[position] == UInt8(ascii: "0") { position += 1 }
            }
            while position < end && isSpace(text[position]) { position += 1 }
            guard digits > 0, position == end || text[position] == UInt8(ascii: ",") else {
                var stop = position
                while stop < end && text[stop] != UInt8(ascii: ",") { stop += 1 }
                var from = position
                while from > start && text[from - 1] != UInt8(ascii: ",") { from -= 1 }
                let field = String(decoding: UnsafeBufferPointer(rebasing: text[from..<stop]), as: UTF8.self)
                throw DatasetError.invalid(
                    "line \(line), column \(fields.count + 1): '\(field.prefix(20))' is not a whole number 0-255")
            }
            fields.append(value)
            if position == end { return }
            position += 1  // past ','
        }
    }

    /// A header starts with a name (a letter or a quote); a data row with a number.
    @inline(__always) private static func isHeaderStart(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "_")
    }
    @inline(__always) private static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    @inline(__always) private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

    /// Writes `images` as Kaggle CSV with a header (`label,pixel0,...`). Float pixels are
    /// rounded and clamped to 0-255.
    public static func encode(_ images: LabelledImages) -> [UInt8] {
        var text: [UInt8] = Array("label".utf8)
        for column in 0..<images.shape.valueCount { text += Array(",pixel\(column)".utf8) }
        text.append(0x0A)
        let size = images.shape.valueCount
        var row = [Float](repeating: 0, count: size)
        for index in 0..<images.count {
            text += Array(String(images.labels[index]).utf8)
            row.withUnsafeMutableBufferPointer { images.copyImage(index, into: $0.baseAddress!) }
            for value in row {
                text.append(UInt8(ascii: ","))
                let byte = Int(min(max(value.rounded(), 0), 255))
                if byte >= 100 { text.append(UInt8(48 + byte / 100)) }
                if byte >= 10 { text.append(UInt8(48 + byte / 10 % 10)) }
                text.append(UInt8(48 + byte % 10))
            }
            text.append(0x0A)
        }
        return text
    }
}
