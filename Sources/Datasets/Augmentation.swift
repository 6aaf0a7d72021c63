import Foundation

/// Random distortions of a training image, redrawn every epoch, as scripts/train_mnist.py does
/// them: one affine warp about the centre (rotation, zoom, shear, shift; bilinear, zero
/// outside) and, for some images, a thicker or thinner stroke (2x2 grey dilation or erosion).
/// Values stay in the input's range (clamped to 0-255 for MNIST's raw pixels).
public struct Augmentation: Equatable, Sendable {
    /// Largest rotation either way, in degrees.
    public var rotationDegrees: Double
    /// Largest change of scale either way (0.12: zoom 0.88-1.12).
    public var zoom: Double
    /// Largest horizontal shear factor either way.
    public var shear: Double
    /// Largest shift along each axis, in pixels.
    public var shiftPixels: Double
    /// Chance of a thicker stroke (dilation), and of a thinner one (erosion).
    public var thickenProbability: Double
    public var thinProbability: Double
    /// Values are clamped to this range after warping (nil: no clamp).
    public var valueRange: ClosedRange<Float>?

    public init(rotationDegrees: Double = 0, zoom: Double = 0, shear: Double = 0, shiftPixels: Double = 0,
                thickenProbability: Double = 0, thinProbability: Double = 0, valueRange: ClosedRange<Float>? = 0...255) {
        self.rotationDegrees = rotationDegrees
        self.zoom = zoom
        self.shear = shear
        self.shiftPixels = shiftPixels
        self.thickenProbability = thickenProbability
        self.thinProbability = thinProbability
        self.valueRange = valueRange
    }

    /// No change.
    public static let none = Augmentation()

    /// The recipe of scripts/train_mnist.py (the default model's).
    public static let mnist = Augmentation(rotationDegrees: 12, zoom: 0.12, shear: 0.15, shiftPixels: 2.5,
                                           thickenProbability: 0.2, thinProbability: 0.15)

    public var isIdentity: Bool {
        rotationDegrees == 0 && zoom == 0 && shear == 0 && shiftPixels == 0 && thickenProbability == 0 && thinProbability == 0
    }

    /// Checks every amount is finite and within reason, naming the first that is not.
    public func validate() throws {
        let checks: [(String, Double, ClosedRange<Double>)] = [
            ("rotation", rotationDegrees, 0...180), ("zoom", zoom, 0...0.9), ("shear", shear, 0...2),
            ("shift", shiftPixels, 0...1000), ("thicken", thickenProbability, 0...1), ("thin", thinProbability, 0...1),
        ]
        for (name, value, range) in checks where !(range.contains(value)) {
            throw DatasetError.invalid("augmentation '\(name)' must be within \(range.lowerBound)-\(range.upperBound), got \(value)")
        }
        guard thickenProbability + thinProbability <= 1 else {
            throw DatasetError.invalid("augmentation 'thicken' + 'thin' must not exceed 1")
        }
    }

    /// Writes a distorted copy of `source` (one image of `shape`) into `destination`, drawing
    /// the distortion from `random`. The two buffers must not overlap.
    public func apply(_ source: UnsafePointer<Float>, shape: ImageShape, into destination: UnsafeMutablePointer<Float>,
                      random: inout SeededRandom) {
        let angle = random.uniform(-rotationDegrees, rotationDegrees) * Double.pi / 180
        let scale = random.uniform(1 - zoom, 1 + zoom)
        let shearFactor = random.uniform(-shear, shear)
        let shiftY = random.uniform(-shiftPixels, shiftPixels)
        let shiftX = random.uniform(-shiftPixels, shiftPixels)
        let stroke = random.unit()

        // Output pixel o reads input at M·o + offset, M = R(angle)·[[1, shear], [0, 1]] / zoom,
        // offset = c - M·(c + shift), in (row, column) coordinates, as scipy's affine_transform.
        let cosine = cos(angle), sine = sin(angle)
        let m00 = cosine / scale, m01 = (cosine * shearFactor - sine) / scale
        let m10 = sine / scale, m11 = (sine * shearFactor + cosine) / scale
        let centreY = Double(shape.height - 1) / 2, centreX = Double(shape.width - 1) / 2
        let offsetY = centreY - (m00 * (centreY + shiftY) + m01 * (centreX + shiftX))
        let offsetX = centreX - (m10 * (centreY + shiftY) + m11 * (centreX + shiftX))
        let channels = shape.channels
        let height = shape.height, width = shape.width
        for y in 0..<height {
            for x in 0..<width {
                let sourceY = m00 * Double(y) + m01 * Double(x) + offsetY
                let sourceX = m10 * Double(y) + m11 * Double(x) + offsetX
                let y0 = Int(sourceY.rounded(.down)), x0 = Int(sourceX.rounded(.down))
                let fy = Float(sourceY - Double(y0)), fx = Float(sourceX - Double(x0))
                let out = destination + (y * width + x) * channels
                for c in 0..<channels {
                    func sample(_ row: Int, _ column: Int) -> Float {
                        guard row >= 0, row < height, column >= 0, column < width else { return 0 }
                        return source[(row * width + column) * channels + c]
                    }
                    let top = sample(y0, x0) * (1 - fx) + sample(y0, x0 + 1) * fx
                    let bottom = sample(y0 + 1, x0) * (1 - fx) + sample(y0 + 1, x0 + 1) * fx
                    out[c] = top * (1 - fy) + bottom * fy
                }
            }
        }
        if stroke < thickenProbability {
            morph(destination, shape: shape, dilate: true)
        } else if stroke < thickenProbability + thinProbability {
            morph(destination, shape: shape, dilate: false)
        }
        if let valueRange {
            for index in 0..<shape.valueCount {
                destination[index] = min(max(destination[index], valueRange.lowerBound), valueRange.upperBound)
            }
        }
    }

    /// 2x2 grey dilation (maximum) or erosion (minimum) in place: each pixel takes the extreme
    /// of itself and its neighbours above, to the left and diagonally up-left (edges repeat).
    private func morph(_ image: UnsafeMutablePointer<Float>, shape: ImageShape, dilate: Bool) {
        let copy = [Float](UnsafeBufferPointer(start: image, count: shape.valueCount))
        let channels = shape.channels
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                for c in 0..<channels {
                    var extreme = copy[(y * shape.width + x) * channels + c]
                    for (dy, dx) in [(-1, 0), (0, -1), (-1, -1)] {
                        let row = max(y + dy, 0), column = max(x + dx, 0)
                        let value = copy[(row * shape.width + column) * channels + c]
                        extreme = dilate ? max(extreme, value) : min(extreme, value)
                    }
                    image[(y * shape.width + x) * channels + c] = extreme
                }
            }
        }
    }
}
