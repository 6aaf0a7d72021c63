import ImageCodecs

/// Labelled images as TFRecord files of `tf.train.Example`s, in the layouts TensorFlow's own
/// MNIST code uses:
///
/// - `raw` (TensorFlow's `convert_to_records.py`): `image_raw` (the pixels as bytes, row-major,
///   channels last), `label`, `height`, `width`, `depth` (int64);
/// - `png` (TensorFlow Datasets' `mnist`): `image` (a PNG file), `label` (int64).
///
/// Reading accepts either and the usual variants: the image under `image_raw`, `image`,
/// `image/encoded` or `pixels`, as raw bytes, an encoded PNG/JPEG/BMP/PNM, a float_list or an
/// int64_list of pixel values; the label under `label`, `image/class/label`, `labels` or `y`; the
/// shape from `height`/`width`/`depth` (or `image/height`, `image/width`, `image/channels`),
/// else from the decoded image, else the expected shape (28x28x1 for MNIST).
public enum TFRecordImages {
    /// How images are stored in written examples.
    public enum ImageEncoding: String, Sendable, CaseIterable {
        case raw, png
    }

    static let imageKeys = ["image_raw", "image", "image/encoded", "pixels"]
    static let labelKeys = ["label", "image/class/label", "labels", "y"]
    static let shapeKeys = [("height", "width", "depth"), ("image/height", "image/width", "image/channels")]

    /// Reads every record of a TFRecord file (already decompressed). Labels are class numbers
    /// (MNIST's digits) indexing `classNames`.
    public static func read(_ bytes: [UInt8], shape expected: ImageShape = ImageShape(height: 28, width: 28),
                            classNames: [String] = LabelledImages.digitClassNames(),
                            limits: DatasetLimits = .default) throws -> LabelledImages {
        var collector = Collector(expected: expected, limits: limits)
        var labels: [Int] = []
        try TFRecord.forEachRecord(in: bytes) { index, range in
            let example: TFExample
            do {
                example = try TFExample(parsing: bytes, range: range)
            } catch let error as ProtobufError {
                throw DatasetError.invalid("record \(index): not a tf.train.Example (\(error))")
            }
            do {
                let label = try Self.label(of: example)
                guard label >= 0, label < Int64(classNames.count) else {
                    throw DatasetError.invalid("label \(label) is outside 0-\(classNames.count - 1)")
                }
                try collector.add(example)
                labels.append(Int(label))
            } catch let error as DatasetError {
                throw DatasetError(error.kind, "record \(index): \(error.message)")
            }
        }
        guard !labels.isEmpty else { throw DatasetError.invalid("the TFRecord file holds no records") }
        return LabelledImages(unchecked: collector.shape!, pixels: collector.pixels, labels: labels, classNames: classNames)
    }

    /// Gathers the pixels of consecutive examples, checking each has the first one's shape.
    private struct Collector {
        let expected: ImageShape
        let limits: DatasetLimits
        var shape: ImageShape?
        var bytes: [UInt8] = []
        var floats: [Float]? = nil

        init(expected: ImageShape, limits: DatasetLimits) {
            self.expected = expected
            self.limits = limits
        }

        var pixels: PixelStorage { floats.map { .floats($0) } ?? .bytes(bytes) }

        mutating func add(_ example: TFExample) throws {
            guard let (key, feature) = imageKeys.lazy.compactMap({ key in example.features[key].map { (key, $0) } }).first else {
                throw DatasetError.invalid("no image feature (\(imageKeys.joined(separator: ", "))); it has \(describe(example))")
            }
            let declared = try declaredShape(example)
            let image: (shape: ImageShape, values: PixelStorage)
            switch feature {
            case .bytes(let values):
                guard values.count == 1 else { throw DatasetError.invalid("'\(key)' holds \(values.count) byte strings, expected 1") }
                image = try decodeBytes(values[0], key: key, declared: declared)
            case .floats(let values):
                image = (try sized(values.count, key: key, declared: declared, unit: "floats"), .floats(values))
            case .int64s(let values):
                let shape = try sized(values.count, key: key, declared: declared, unit: "integers")
                if values.allSatisfy({ (0...255).contains($0) }) {
                    image = (shape, .bytes(values.map { UInt8($0) }))
                } else {
                    image = (shape, .floats(values.map { Float($0) }))
                }
            case .empty:
                throw DatasetError.invalid("'\(key)' holds no value")
            }
            if let shape {
                guard image.shape == shape else {
                    throw DatasetError.invalid("the image is \(image.shape), the records before it are \(shape)")
                }
            } else {
                shape = image.shape
            }
            let total = (floats?.count ?? bytes.count) + image.shape.valueCount
            guard total <= limits.maxValues else {
                throw DatasetError(.tooLarge, "more than \(limits.maxValues) pixel values")
            }
            switch (image.values, floats) {
            case (.bytes(let values), nil): bytes += values
            case (.bytes(let values), _): floats! += values.map(Float.init)
            case (.floats(let values), nil):
                floats = bytes.map(Float.init) + values
                bytes = []
            case (.floats(let values), _): floats! += values
            }
        }

        /// The shape `height`/`width`/`depth` (or `image/...`) announce, when present.
        private func declaredShape(_ example: TFExample) throws -> ImageShape? {
            for (heightKey, widthKey, depthKey) in shapeKeys {
                guard let height = try scalar(example, heightKey), let width = try scalar(example, widthKey) else { continue }
                let depth = try scalar(example, depthKey) ?? 1
                guard (1...65535).contains(height), (1...65535).contains(width), (1...4096).contains(depth) else {
                    throw DatasetError.invalid("'\(heightKey)', '\(widthKey)', '\(depthKey)' = \(height), \(width), \(depth) is not an image shape")
                }
                return ImageShape(height: Int(height), width: Int(width), channels: Int(depth))
            }
            return nil
        }

        private func scalar(_ example: TFExample, _ key: String) throws -> Int64? {
            guard let feature = example.features[key] else { return nil }
            guard case .int64s(let values) = feature, values.count == 1 else {
                throw DatasetError.invalid("'\(key)' is a \(feature.kindName) of \(feature.count), expected one int64")
            }
            return values[0]
        }

        private func sized(_ count: Int, key: String, declared: ImageShape?, unit: String) throws -> ImageShape {
            let shape = declared ?? self.shape ?? expected
            guard count == shape.valueCount else {
                throw DatasetError.invalid("'\(key)' holds \(count) \(unit); a \(shape) image needs \(shape.valueCount)"
                    + (declared == nil ? " (records without height/width/depth features are read as \(shape))" : ""))
            }
            return shape
        }

        private func decodeBytes(_ value: [UInt8], key: String, declared: ImageShape?) throws -> (shape: ImageShape, values: PixelStorage) {
            guard let format = ImageFormat.sniff(value) else {
                return (try sized(value.count, key: key, declared: declared, unit: "bytes"), .bytes(value))
            }
            let decoded: Image
            do {
                decoded = try ImageDecoder.decode(value, limits: DecodingLimits(maxPixels: min(limits.maxValues, 1 << 26)))
            } catch {
                throw DatasetError.invalid("'\(key)' holds a \(format) image that does not decode: \(error)")
            }
            let shape = ImageShape(height: decoded.height, width: decoded.width, channels: decoded.channels)
            if let declared, declared != shape {
                throw DatasetError.invalid("'\(key)' holds a \(shape) \(format) image, the record's height/width/depth say \(declared)")
            }
            return (shape, .bytes(decoded.samples))
        }
    }

    static func label(of example: TFExample) throws -> Int64 {
        guard let (key, feature) = labelKeys.lazy.compactMap({ key in example.features[key].map { (key, $0) } }).first else {
            throw DatasetError.invalid("no label feature (\(labelKeys.joined(separator: ", "))); it has \(describe(example))")
        }
        switch feature {
        case .int64s(let values) where values.count == 1:
            return values[0]
        case .floats(let values) where values.count == 1 && values[0] == values[0].rounded() && abs(values[0]) < 1e9:
            return Int64(values[0])
        default:
            throw DatasetError.invalid("'\(key)' is a \(feature.kindName) of \(feature.count), expected one whole number")
        }
    }

    /// "image_raw (bytes_list), label (int64_list)" for messages.
    static func describe(_ example: TFExample) -> String {
        guard !example.features.isEmpty else { return "no features" }
        return example.features.keys.sorted().prefix(8).map { "\($0) (\(example.features[$0]!.kindName))" }.joined(separator: ", ")
    }

    /// The label a file stores for class `index`: the class name when it is a number (a subset
    /// of digits keeps its digits: class 2 of ["0", "1", "7"] is written as 7), else the index.
    public static func storedLabel(_ index: Int, classNames: [String]) -> Int64 {
        Int64(classNames[index]) ?? Int64(index)
    }

    /// Image `index` of `images` as an Example in `encoding`'s layout. Float pixels are kept as
    /// a float_list under `image` (with height/width/depth); PNG needs 8-bit pixels.
    public static func example(_ index: Int, of images: LabelledImages, encoding: ImageEncoding) throws -> TFExample {
        let shape = images.shape
        let size = shape.valueCount
        let label = TFFeature.int64s([storedLabel(images.labels[index], classNames: images.classNames)])
        let dimensions: [String: TFFeature] = ["height": .int64s([Int64(shape.height)]), "width": .int64s([Int64(shape.width)]),
                                               "depth": .int64s([Int64(shape.channels)])]
        switch (images.pixels, encoding) {
        case (.bytes(let values), .raw):
            return TFExample(features: dimensions.merging(["image_raw": .bytes([Array(values[(index * size)..<((index + 1) * size)])]),
                                                           "label": label]) { $1 })
        case (.floats(let values), .raw):
            return TFExample(features: dimensions.merging(["image": .floats(Array(values[(index * size)..<((index + 1) * size)])),
                                                           "label": label]) { $1 })
        case (_, .png):
            guard let layout = PixelLayout(rawValue: shape.channels) else {
                throw DatasetError.invalid("PNG holds 1-4 channels; these images have \(shape.channels)")
            }
            let samples: [UInt8]
            switch images.pixels {
            case .bytes(let values): samples = Array(values[(index * size)..<((index + 1) * size)])
            case .floats(let values):
                let slice = values[(index * size)..<((index + 1) * size)]
                guard slice.allSatisfy({ $0 == $0.rounded() && $0 >= 0 && $0 <= 255 }) else {
                    throw DatasetError.invalid("image \(index) has pixel values that are not whole numbers 0-255; PNG examples need 8-bit pixels (use --image-format raw)")
                }
                samples = slice.map { UInt8($0) }
            }
            let image = Image(width: shape.width, height: shape.height, layout: layout, samples: samples)!
            return TFExample(features: ["image": .bytes([PNGEncoder.encode(image)]), "label": label])
        }
    }

    /// The images at `indices` (all by default) as one TFRecord file.
    public static func encode(_ images: LabelledImages, encoding: ImageEncoding = .raw, indices: Range<Int>? = nil) throws -> [UInt8] {
        var output: [UInt8] = []
        for index in indices ?? 0..<images.count {
            TFRecord.append(try example(index, of: images, encoding: encoding).encoded(), to: &output)
        }
        return output
    }
}
