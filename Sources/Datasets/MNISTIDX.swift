/// LeCun's IDX files, as MNIST ships them: `train-images-idx3-ubyte` (N x 28 x 28 bytes) and
/// `train-labels-idx1-ubyte` (N bytes), often gzipped. A header of two zero bytes, a type code,
/// the number of dimensions, then each dimension as a big-endian UInt32, then the values
/// big-endian, row-major.
public enum MNISTIDX {
    /// One IDX array: its dimensions and values (bytes kept as bytes, other types as floats).
    public struct Array: Equatable, Sendable {
        public let dimensions: [Int]
        public let values: PixelStorage
    }

    /// True when `bytes` starts like an IDX file (0, 0, a known type code, 1-4 dimensions).
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0 && elementSize(bytes[2]) != nil && (1...4).contains(bytes[3])
    }

    /// Bytes per value of a type code: 0x08 ubyte, 0x09 sbyte, 0x0B short, 0x0C int, 0x0D float, 0x0E double.
    private static func elementSize(_ code: UInt8) -> Int? {
        switch code {
        case 0x08, 0x09: return 1
        case 0x0B: return 2
        case 0x0C, 0x0D: return 4
        case 0x0E: return 8
        default: return nil
        }
    }

    public static func parse(_ bytes: [UInt8], limits: DatasetLimits = .default) throws -> Array {
        guard bytes.count >= 4 else { throw DatasetError.invalid("an IDX file needs a 4-byte header, found \(bytes.count) bytes") }
        guard bytes[0] == 0, bytes[1] == 0 else { throw DatasetError(.unrecognisedFormat, "not an IDX file (the first two bytes are not zero)") }
        guard let size = elementSize(bytes[2]) else {
            throw DatasetError.invalid("IDX type code 0x\(String(bytes[2], radix: 16)) is not one of 08, 09, 0B, 0C, 0D, 0E")
        }
        let rank = Int(bytes[3])
        guard (1...4).contains(rank) else { throw DatasetError.invalid("an IDX array of \(rank) dimensions (1-4 expected)") }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else { throw DatasetError.invalid("the IDX header is cut short (\(bytes.count) bytes)") }
        var dimensions: [Int] = []
        var total = 1
        for axis in 0..<rank {
            let offset = 4 + 4 * axis
            let dimension = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            dimensions.append(dimension)
            total = total.multipliedReportingOverflow(by: dimension).overflow ? Int.max : total * dimension
        }
        guard total <= limits.maxValues else {
            throw DatasetError(.tooLarge, "the IDX header declares \(dimensions) = \(total) values, more than the limit of \(limits.maxValues)")
        }
        let expected = headerSize + total * size
        guard bytes.count == expected else {
            throw DatasetError.invalid(
                "the IDX header declares \(dimensions) values of \(size) byte(s) (\(expected) bytes with the header), the file has \(bytes.count)")
        }
        let body = bytes[headerSize...]
        switch bytes[2] {
        case 0x08:
            return Array(dimensions: dimensions, values: .bytes(Swift.Array(body)))
        default:
            var floats = [Float](repeating: 0, count: total)
            var position = body.startIndex
            for index in 0..<total {
                var bits: UInt64 = 0
                for _ in 0..<size { bits = bits << 8 | UInt64(bytes[position]); position += 1 }
                switch bytes[2] {
                case 0x09: floats[index] = Float(Int8(truncatingIfNeeded: bits))
                case 0x0B: floats[index] = Float(Int16(truncatingIfNeeded: bits))
                case 0x0C: floats[index] = Float(Int32(truncatingIfNeeded: bits))
                case 0x0D: floats[index] = Float(bitPattern: UInt32(truncatingIfNeeded: bits))
                default: floats[index] = Float(Double(bitPattern: bits))
                }
            }
            return Array(dimensions: dimensions, values: .floats(floats))
        }
    }

    /// An images file (N x H x W, or N x H x W x C) with its labels file (N values).
    public static func read(images: [UInt8], labels: [UInt8], classNames: [String] = LabelledImages.digitClassNames(),
                            limits: DatasetLimits = .default) throws -> LabelledImages {
        let pixels = try parse(images, limits: limits)
        let labelArray = try parse(labels, limits: limits)
        guard pixels.dimensions.count == 3 || pixels.dimensions.count == 4 else {
            throw DatasetError.invalid("the images file holds an array of \(pixels.dimensions.count) dimensions \(pixels.dimensions); N x height x width (x channels) is expected")
        }
        guard labelArray.dimensions.count == 1 else {
            throw DatasetError.invalid("the labels file holds an array of shape \(labelArray.dimensions); one label per image is expected")
        }
        guard labelArray.dimensions[0] == pixels.dimensions[0] else {
            throw DatasetError.invalid("\(pixels.dimensions[0]) images but \(labelArray.dimensions[0]) labels")
        }
        let shape = ImageShape(height: pixels.dimensions[1], width: pixels.dimensions[2],
                               channels: pixels.dimensions.count == 4 ? pixels.dimensions[3] : 1)
        let labelValues: [Int]
        switch labelArray.values {
        case .bytes(let values): labelValues = values.map(Int.init)
        case .floats(let values):
            labelValues = try values.enumerated().map { index, value in
                guard value == value.rounded(), value >= 0, value < Float(Int32.max) else {
                    throw DatasetError.invalid("label \(index) is \(value), not a class number")
                }
                return Int(value)
            }
        }
        guard pixels.dimensions[0] > 0 else { throw DatasetError.invalid("the IDX files hold no images") }
        return try LabelledImages(shape: shape, pixels: pixels.values, labels: labelValues, classNames: classNames)
    }

    /// The two IDX files of a labelled set: images as N x H x W (x C) unsigned bytes (float
    /// pixels are rounded and clamped to 0-255), labels as N unsigned bytes.
    public static func encode(_ images: LabelledImages) -> (images: [UInt8], labels: [UInt8]) {
        func header(_ dimensions: [Int]) -> [UInt8] {
            var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
            for dimension in dimensions {
                bytes += [UInt8(dimension >> 24 & 0xFF), UInt8(dimension >> 16 & 0xFF), UInt8(dimension >> 8 & 0xFF), UInt8(dimension & 0xFF)]
            }
            return bytes
        }
        let shape = images.shape
        var imageFile = header(shape.channels == 1 ? [images.count, shape.height, shape.width]
                                                   : [images.count, shape.height, shape.width, shape.channels])
        switch images.pixels {
        case .bytes(let values): imageFile += values
        case .floats(let values): imageFile += values.map { UInt8(min(max($0.rounded(), 0), 255)) }
        }
        let labelFile = header([images.count]) + images.labels.map { UInt8(truncatingIfNeeded: $0) }
        return (imageFile, labelFile)
    }
}
