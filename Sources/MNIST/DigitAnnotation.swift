import ImageCodecs
import ImageProcessing

/// The input picture with what was read drawn on it: each digit's box and label (ours), or
/// the label alone above the digit (Digits-Recognition's `/annotations`). Labels are drawn in
/// our bitmap font, sized to the digit, on a filled tab so they read on any background.
public enum DigitAnnotation {
    public enum Style: Sendable { case boxAndLabel, labelAbove }

    static let ink: [UInt8] = [230, 30, 30]
    static let labelInk: [UInt8] = [255, 255, 255]

    public static func draw(_ digits: [DigitReading], on picture: Image, style: Style = .boxAndLabel) -> Image {
        var canvas = picture.composited(over: (255, 255, 255))
        if canvas.layout == .gray { canvas = canvas.rgba().composited(over: (255, 255, 255)) }
        for digit in digits {
            let box = digit.box ?? PixelRect(x: 0, y: 0, width: canvas.width, height: canvas.height)
            let text = "\(digit.prediction)"
            let scale = max(2, min(6, box.height / 12))
            let size = Image.textSize(text, scale: scale)
            let thickness = max(1, box.height / 40)
            if style == .boxAndLabel {
                canvas.strokeRectangle(PixelRect(x: box.x - thickness, y: box.y - thickness,
                                                 width: box.width + 2 * thickness, height: box.height + 2 * thickness),
                                       colour: ink, thickness: thickness)
            }
            // The tab sits above the box, or inside its top when there is no room above.
            let pad = scale
            let tabHeight = size.height + 2 * pad
            let top = box.y - thickness - tabHeight >= 0 ? box.y - thickness - tabHeight : box.y
            let left = min(max(0, box.x - thickness), max(0, canvas.width - size.width - 2 * pad))
            canvas.fill(PixelRect(x: left, y: top, width: size.width + 2 * pad, height: tabHeight), colour: ink)
            canvas.draw(text: text, x: left + pad, y: top + pad, scale: scale, colour: labelInk)
        }
        return canvas
    }
}
