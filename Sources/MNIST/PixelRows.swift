import MAXFramework

/// Digits sent as numbers instead of pictures, in the forms the digit services users come from
/// take: one Kaggle digit-recognizer row (`{"pixel0": 0, ..., "pixel783": 0}`, a `label` member
/// allowed), or `{"pixels": [...]}` with 784 numbers or 28 rows of 28. Values are 0-255 with ink
/// high, row-major: MNIST's own layout, so they reach the network as they are.
public enum PixelRows {
    public static let side = 28
    public static let count = side * side
    /// Most rows one JSON list may carry (each is one input of the batch).
    public static let maxListItems = 256

    static let value = Schema.number.range(0, 255)

    /// The body's schema: checked before `pixels(from:)` runs, so a value that is not a number
    /// in 0-255 is answered 422 naming its member (`body.pixel17`, `body.pixels[3][5]`).
    public static let schema = Schema.oneOf([
        Schema.object([
            SchemaProperty("pixels", .oneOf([
                .array(of: value, count: count...count),
                .array(of: .array(of: value, count: side...side), count: side...side),
            ]), "784 values, or 28 rows of 28, row-major, 0-255, ink high"),
        ]).named("PixelArray"),
        Schema.object([], additionalProperties: value).named("KaggleRow")
            .described("One Kaggle digit-recognizer row: pixel0 ... pixel783, 0-255, ink high (a label member is allowed and ignored)",
                       example: nil),
    ])

    public static let example: JSONValue = .object([("pixels", .array([JSONValue](repeating: .int(0), count: count)))])

    /// The input spec part for pixel rows.
    public static var inputSpec: JSONInputSpec {
        JSONInputSpec(schema: schema,
                      description: "A digit as pixels: {\"pixels\": [784 values]} (or 28 rows of 28), or a Kaggle row {\"pixel0\": ..., \"pixel783\": ...}; a list of either is a batch",
                      example: example, maxListItems: maxListItems)
    }

    /// The 784 values of a document that fits `schema`; 422 naming the first missing or unknown
    /// member of a Kaggle row.
    public static func pixels(from document: JSONValue) throws -> [Float] {
        guard let members = document.objectMembers else {
            throw ModelError.unprocessable("body: expected an object, got \(document.kindDescription)")
        }
        if let pixels = document["pixels"] {
            if let unknown = members.first(where: { $0.key != "pixels" }) {
                throw ModelError.unprocessable("body.\(unknown.key): unknown member; send only 'pixels'")
            }
            return try flatten(pixels)
        }
        var values = [Float](repeating: 0, count: count)
        var seen = [Bool](repeating: false, count: count)
        for (key, value) in members {
            if key == "label" { continue }
            guard let index = pixelIndex(key) else {
                throw ModelError.unprocessable("body.\(key): unknown member; a Kaggle row has pixel0 ... pixel783 (and an optional label)")
            }
            guard let number = value.doubleValue, (0...255).contains(number) else {
                throw ModelError.unprocessable("body.\(key): expected a number from 0 to 255, got \(value.serialized)")
            }
            values[index] = Float(number)
            seen[index] = true
        }
        if let missing = seen.firstIndex(of: false) {
            throw ModelError.unprocessable("body.pixel\(missing): missing; a Kaggle row has all of pixel0 ... pixel783")
        }
        return values
    }

    /// `pixelN` with N in 0...783 written without leading zeros.
    static func pixelIndex(_ key: String) -> Int? {
        guard key.hasPrefix("pixel"), let index = Int(key.dropFirst(5)), (0..<count).contains(index),
              String(index) == key.dropFirst(5) else { return nil }
        return index
    }

    private static func flatten(_ pixels: JSONValue) throws -> [Float] {
        let items = pixels.arrayValue ?? []
        let flat = items.count == side ? items.flatMap { $0.arrayValue ?? [] } : items
        guard flat.count == count else {
            throw ModelError.unprocessable("body.pixels: expected 784 values or 28 rows of 28, got \(items.count) item(s)")
        }
        return try flat.enumerated().map { index, value in
            guard let number = value.doubleValue, (0...255).contains(number) else {
                throw ModelError.unprocessable("body.pixels[\(index)]: expected a number from 0 to 255, got \(value.serialized)")
            }
            return Float(number)
        }
    }
}
