import ImageCodecs

/// Why an upload could not be turned into a digit.
public enum DigitPreprocessingError: Error, Equatable, CustomStringConvertible {
    /// The picture has no contrast to speak of: nothing stands out from the background.
    case noDigitFound

    public var description: String {
        switch self {
        case .noDigitFound:
            return "no digit found: the image is blank or has too little contrast; send one handwritten digit on a plain background"
        }
    }
}

/// Turns any picture of one digit into the 28x28 field the MNIST model was trained on: raw
/// 0-255 gray values, light digit on black, fitted into 20x20 and centred by centre of mass
/// (LeCun's recipe). A 28x28 gray image is taken as already prepared, as MAX-MNIST does.
public enum DigitPreprocessor {
    public static let side = MNISTField.side
    /// MNIST fits each digit's bounding box into this square, leaving a 4-pixel margin.
    public static let digitBox = MNISTField.digitBox
    /// Below this spread of gray values (0-255) the picture counts as blank.
    static let minimumContrast = 24

    /// The 784 model inputs, row by row, 0-255.
    public static func pixels(_ image: Image) throws -> [Float] {
        try normalized(image).floatSamples()
    }

    /// The prepared 28x28 gray image (exposed so tests and tools can look at what the model sees).
    public static func normalized(_ image: Image) throws -> Image {
        if image.width == side, image.height == side, image.layout == .gray {
            // MAX-MNIST semantics: an MNIST-shaped upload is fed as is. Only refuse a flat one.
            guard let low = image.samples.min(), let high = image.samples.max(), high > low else {
                throw DigitPreprocessingError.noDigitFound
            }
            return image
        }
        // Pillow's convert("L") drops alpha, which would turn a digit drawn on transparency
        // into a black square: composite over white first, as a viewer shows it.
        var gray = image.composited(over: (255, 255, 255)).grayscale()
        guard let low = gray.samples.min(), let high = gray.samples.max(),
              Int(high) - Int(low) >= minimumContrast else {
            throw DigitPreprocessingError.noDigitFound
        }
        // MNIST digits are light on dark; paper and screens are usually the reverse.
        if Int(borderMedian(gray)) > (Int(low) + Int(high)) / 2 { gray = gray.inverted() }

        let threshold = gray.otsuThreshold()
        guard let box = gray.foregroundBoundingBox(above: threshold) else { throw DigitPreprocessingError.noDigitFound }
        let digit = stretched(gray.cropped(to: box), background: borderMedian(gray), threshold: threshold)

        guard let field = MNISTField.fitted(digit) else { throw DigitPreprocessingError.noDigitFound }
        return field
    }

    /// Median of the outermost ring of pixels: the background level of a picture of one digit.
    static func borderMedian(_ gray: Image) -> UInt8 {
        var ring: [UInt8] = []
        let width = gray.width, height = gray.height
        for x in 0..<width {
            ring.append(gray.samples[x])
            ring.append(gray.samples[(height - 1) * width + x])
        }
        for y in 0..<height {
            ring.append(gray.samples[y * width])
            ring.append(gray.samples[y * width + width - 1])
        }
        ring.sort()
        return ring.isEmpty ? 0 : ring[ring.count / 2]
    }

    /// Levels stretched so the paper becomes 0 and the ink 255: photos have grey paper and grey
    /// ink, MNIST has neither. Black point halfway between the background and Otsu's threshold
    /// (keeps anti-aliased edges, drops paper texture); white point the 90th percentile of the ink.
    static func stretched(_ digit: Image, background: UInt8, threshold: UInt8) -> Image {
        let ink = digit.samples.filter { $0 > threshold }.sorted()
        let white = Double(ink.isEmpty ? 255 : ink[min(ink.count - 1, ink.count * 9 / 10)])
        let black = (Double(min(background, threshold)) + Double(threshold)) / 2
        guard white > black else { return digit }
        var copy = digit
        let scale = 255 / (white - black)
        for index in copy.samples.indices {
            let value = (Double(copy.samples[index]) - black) * scale
            copy.samples[index] = UInt8(max(0, min(255, value.rounded())))
        }
        return copy
    }
}
