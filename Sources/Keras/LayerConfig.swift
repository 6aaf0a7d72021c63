import Foundation

/// One layer's entry in a model configuration, with typed accessors whose errors name the layer.
/// Values arrive from JSONSerialization, so numbers are NSNumber and lists are [Any].
package struct LayerConfig {
    package let className: String
    package let name: String
    package let values: [String: Any]

    package init(className: String, name: String, values: [String: Any]) {
        self.className = className
        self.name = name
        self.values = values
    }

    package func invalid(_ reason: String) -> KerasError {
        .invalidLayerConfig(className: className, name: name, reason: reason)
    }

    package func unsupported(_ reason: String) -> KerasError {
        .unsupportedSetting(className: className, name: name, reason: reason)
    }

    package func has(_ key: String) -> Bool {
        guard let value = values[key] else { return false }
        return !(value is NSNull)
    }

    package func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        guard has(key) else {
            if let fallback { return fallback }
            throw invalid("'\(key)' is missing")
        }
        return try LayerConfig.integer(values[key], key: key, config: self)
    }

    package func double(_ key: String, default fallback: Double? = nil) throws -> Double {
        guard has(key) else {
            if let fallback { return fallback }
            throw invalid("'\(key)' is missing")
        }
        guard let number = values[key] as? NSNumber else {
            throw invalid("'\(key)' should be a number")
        }
        let value = number.doubleValue
        guard value.isFinite else { throw invalid("'\(key)' is not finite") }
        return value
    }

    package func optionalDouble(_ key: String) throws -> Double? {
        has(key) ? try double(key) : nil
    }

    package func bool(_ key: String, default fallback: Bool) throws -> Bool {
        guard has(key) else { return fallback }
        guard let number = values[key] as? NSNumber else { throw invalid("'\(key)' should be true or false") }
        return number.boolValue
    }

    package func string(_ key: String, default fallback: String? = nil) throws -> String {
        guard has(key) else {
            if let fallback { return fallback }
            throw invalid("'\(key)' is missing")
        }
        guard let text = values[key] as? String else { throw invalid("'\(key)' should be a string") }
        return text
    }

    /// A pair such as kernel_size or strides: one integer (used twice) or a list of two.
    package func pair(_ key: String, default fallback: (Int, Int)? = nil) throws -> (Int, Int) {
        guard has(key) else {
            if let fallback { return fallback }
            throw invalid("'\(key)' is missing")
        }
        if let list = values[key] as? [Any] {
            guard list.count == 2 else { throw invalid("'\(key)' should hold 2 values, found \(list.count)") }
            return (try LayerConfig.integer(list[0], key: key, config: self),
                    try LayerConfig.integer(list[1], key: key, config: self))
        }
        let single = try LayerConfig.integer(values[key], key: key, config: self)
        return (single, single)
    }

    /// A list of integers where null stands for an unknown dimension (shapes).
    package func shape(_ key: String) throws -> [Int?]? {
        guard has(key) else { return nil }
        guard let list = values[key] as? [Any] else { throw invalid("'\(key)' should be a list") }
        return try list.map { item in
            if item is NSNull { return nil }
            return try LayerConfig.integer(item, key: key, config: self)
        }
    }

    /// A list of numbers (Normalization's mean and variance); a single number gives a one-element list.
    package func doubles(_ key: String) throws -> [Double]? {
        guard has(key) else { return nil }
        if let number = values[key] as? NSNumber { return [number.doubleValue] }
        guard let list = values[key] as? [Any] else { throw invalid("'\(key)' should be a list of numbers") }
        return try list.map { item in
            guard let number = item as? NSNumber else { throw invalid("'\(key)' should be a list of numbers") }
            return number.doubleValue
        }
    }

    /// ZeroPadding2D's padding / Cropping2D's cropping: n, (rows, cols) or ((top, bottom), (left, right)).
    package func spatialAmounts(_ key: String, default fallback: Int) throws -> (top: Int, bottom: Int, left: Int, right: Int) {
        guard has(key) else { return (fallback, fallback, fallback, fallback) }
        if let list = values[key] as? [Any] {
            guard list.count == 2 else { throw invalid("'\(key)' should hold 2 entries") }
            if let rows = list[0] as? [Any], let columns = list[1] as? [Any] {
                guard rows.count == 2, columns.count == 2 else { throw invalid("'\(key)' pairs should hold 2 values") }
                return (try LayerConfig.integer(rows[0], key: key, config: self),
                        try LayerConfig.integer(rows[1], key: key, config: self),
                        try LayerConfig.integer(columns[0], key: key, config: self),
                        try LayerConfig.integer(columns[1], key: key, config: self))
            }
            let rows = try LayerConfig.integer(list[0], key: key, config: self)
            let columns = try LayerConfig.integer(list[1], key: key, config: self)
            return (rows, rows, columns, columns)
        }
        let all = try LayerConfig.integer(values[key], key: key, config: self)
        return (all, all, all, all)
    }

    /// Refuses data_format channels_first: the engine computes channels_last only.
    package func requireChannelsLast() throws {
        if has("data_format"), try string("data_format") != "channels_last" {
            throw unsupported("data_format '\(try string("data_format"))' (only channels_last is supported)")
        }
    }

    private static func integer(_ value: Any?, key: String, config: LayerConfig) throws -> Int {
        guard let number = value as? NSNumber else { throw config.invalid("'\(key)' should be an integer") }
        let double = number.doubleValue
        guard double.isFinite, double == double.rounded(), abs(double) < 1e12 else {
            throw config.invalid("'\(key)' should be an integer, found \(number)")
        }
        return Int(double)
    }
}
