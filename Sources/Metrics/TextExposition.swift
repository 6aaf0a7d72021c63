/// Prometheus's text exposition format, version 0.0.4: `# HELP` and `# TYPE` lines, then one
/// line per sample, `name{label="value",...} value`.
public enum TextExposition {
    /// Appends one family. A family without samples still gets its HELP and TYPE lines.
    public static func write(_ family: MetricFamilySnapshot, to text: inout String) {
        text += "# HELP \(family.name) \(escapeHelp(family.help))\n"
        text += "# TYPE \(family.name) \(family.type.rawValue)\n"
        for sample in family.samples {
            text += sample.name
            if !sample.labels.isEmpty {
                text += "{"
                for (index, label) in sample.labels.enumerated() {
                    if index > 0 { text += "," }
                    text += label.name
                    text += "=\""
                    text += escapeLabelValue(label.value)
                    text += "\""
                }
                text += "}"
            }
            text += " "
            text += format(sample.value)
            text += "\n"
        }
    }

    /// A value as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, whole numbers without a
    /// fraction, others in Swift's shortest round-tripping form (`0.005`, `1e-05`).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == .infinity { return "+Inf" }
        if value == -.infinity { return "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// HELP text: backslash and line feed escaped.
    static func escapeHelp(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") }) else { return text }
        return text.replacingCharacters([("\\", "\\\\"), ("\n", "\\n")])
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escapeLabelValue(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\"") })
        else { return text }
        return text.replacingCharacters([("\\", "\\\\"), ("\n", "\\n"), ("\"", "\\\"")])
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`
    public static func isValidMetricName(_ name: String) -> Bool {
        isIdentifier(name, allowingColon: true)
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`
    public static func isValidLabelName(_ name: String) -> Bool {
        isIdentifier(name, allowingColon: false)
    }

    private static func isIdentifier(_ name: String, allowingColon: Bool) -> Bool {
        guard !name.isEmpty else { return false }
        for (index, byte) in name.utf8.enumerated() {
            let letter = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
                || (allowingColon && byte == UInt8(ascii: ":"))
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            if !(letter || (digit && index > 0)) { return false }
        }
        return true
    }
}

extension String {
    /// Replaces single scalars by strings in one pass (by scalar, not by Character, so the
    /// `\n` of a `\r\n` pair is found too).
    fileprivate func replacingCharacters(_ replacements: [(Unicode.Scalar, String)]) -> String {
        var result = ""
        result.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if let replacement = replacements.first(where: { $0.0 == scalar }) {
                result += replacement.1
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
