import ImageCodecs

/// LeCun's recipe for MNIST's 28x28 fields, shared by the one-digit path and the digit finder:
/// a light-on-dark crop of one digit is fitted into 20x20 keeping its aspect ratio, then pasted
/// so its centre of mass lands on the field's centre (kept inside the field).
enum MNISTField {
    static let side = 28
    /// MNIST fits each digit's bounding box into this square, leaving a 4-pixel margin.
    static let digitBox = 20

    /// The field for `digit` (gray, ink high, cropped to the digit); nil when nothing is left
    /// of the digit after scaling.
    static func fitted(_ digit: Image) -> Image? {
        let longer = max(digit.width, digit.height)
        guard longer > 0 else { return nil }
        let scaledWidth = max(1, Int((Double(digit.width * digitBox) / Double(longer)).rounded()))
        let scaledHeight = max(1, Int((Double(digit.height * digitBox) / Double(longer)).rounded()))
        let scaled = digit.resizedByAreaAveraging(width: scaledWidth, height: scaledHeight)

        let centre = scaled.centreOfMass() ?? (Double(scaledWidth - 1) / 2, Double(scaledHeight - 1) / 2)
        let centreOfField = Double(side - 1) / 2
        let left = min(max(Int((centreOfField - centre.x).rounded()), 0), side - scaledWidth)
        let top = min(max(Int((centreOfField - centre.y).rounded()), 0), side - scaledHeight)
        let field = scaled.cropped(to: PixelRect(x: -left, y: -top, width: side, height: side), fill: 0)
        return field.samples.contains(where: { $0 > 0 }) ? field : nil
    }
}
