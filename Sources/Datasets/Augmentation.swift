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

    /// One draw of the distortion: what `apply` does to one image.
    public struct Distortion: Equatable, Sendable {
        public var angleDegrees: Double
        public var zoom: Double
        public var shear: Double
        public var shiftY: Double, shiftX: Double
        public enum Stroke: Sendable { case unchanged, thicker, thinner }
        public var stroke: Stroke

        public init(angleDegrees: Double = 0, zoom: Double = 1, shear: Double = 0, shiftY: Double = 0, shiftX: Double = 0,
                    stroke: Stroke = .unchanged) {
            self.angleDegrees = angleDegrees
            self.zoom = zoom
            self.shear = shear
            self.shiftY = shiftY
            self.shiftX = shiftX
            self.stroke = stroke
        }
    }

    /// A distortion drawn from `random` (always six draws, in this order, so streams stay aligned).
    public func draw(_ random: inout SeededRandom) -> Distortion {
        let angle = random.uniform(-rotationDegrees, rotationDegrees)
        let scale = random.uniform(1 - zoom, 1 + zoom)
        let shearFactor = random.uniform(-shear, shear)
        let shiftY = random.uniform(-shiftPixels, shiftPixels)
        let shiftX = random.uniform(-shiftPixels, shiftPixels)
        let stroke = random.unit()
        return Distortion(angleDegrees: angle, zoom: scale, shear: shearFactor, shiftY: shiftY, shiftX: shiftX,
                          stroke: stroke < thickenProbability ? .thicker
                              : stroke < thickenProbability + thinProbability ? .thinner : .unchanged)
    }

    /// Writes a distorted copy of `source` (one image of `shape`) into `destination`, drawing
    /// the distortion from `random`. The two buffers must not overlap.
    public func apply(_ source: UnsafePointer<Float>, shape: ImageShape, into destination: UnsafeMutablePointer<Float>,
                      random: inout SeededRandom) {
        Augmentation.apply(draw(&random), source, shape: shape, into: destination, valueRange: valueRange)
    }

    /// The distortion as scipy.ndimage computes it in scripts/train_mnist.py: output pixel o reads
    /// the input at M·o + offset with M = R(angle)·[[1, shear], [0, 1]] / zoom and
    /// offset = c - M·(c + shift), in (row, column) coordinates, bilinear, zero where that
    /// point lies outside the image (affine_transform, order=1, mode='constant'); then a 2x2
    /// grey dilation or erosion (grey_dilation / grey_erosion, size (2, 2)); then the clamp.
    public static func apply(_ distortion: Distortion, _ source: UnsafePointer<Float>, shape: ImageShape,
                             into destination: UnsafeMutablePointer<Float>, valueRange: ClosedRange<Float>? = 0...255) {
        let angle = distortion.angleDegrees * Double.pi / 180
        let cosine = cos(angle), sine = sin(angle)
        let m00 = cosine / distortion.zoom, m01 = (cosine * distortion.shear - sine) / distortion.zoom
        let m10 = sine / distortion.zoom, m11 = (sine * distortion.shear + cosine) / distortion.zoom
        let centreY = Double(shape.height - 1) / 2, centreX = Double(shape.width - 1) / 2
        let aimY = centreY + distortion.shiftY, aimX = centreX + distortion.shiftX
        let offsetY = centreY - (m00 * aimY + m01 * aimX)
        let offsetX = centreX - (m10 * aimY + m11 * aimX)
        let channels = shape.channels
        let height = shape.height, width = shape.width
        let lastY = Double(height - 1), lastX = Double(width - 1)
        for y in 0..<height {
            for x in 0..<width {
                let sourceY = m00 * Double(y) + m01 * Double(x) + offsetY
                let sourceX = m10 * Double(y) + m11 * Double(x) + offsetX
                let out = destination + (y * width + x) * channels
                guard sourceY >= 0, sourceY <= lastY, sourceX >= 0, sourceX <= lastX else {
                    for c in 0..<channels { out[c] = 0 }
                    continue
                }
                let y0 = Int(sourceY.rounded(.down)), x0 = Int(sourceX.rounded(.down))
                let y1 = min(y0 + 1, height - 1), x1 = min(x0 + 1, width - 1)
                let fy = Float(sourceY - Double(y0)), fx = Float(sourceX - Double(x0))
                for c in 0..<channels {
                    func sample(_ row: Int, _ column: Int) -> Float { source[(row * width + column) * channels + c] }
                    let top = sample(y0, x0) * (1 - fx) + sample(y0, x1) * fx
                    let bottom = sample(y1, x0) * (1 - fx) + sample(y1, x1) * fx
                    out[c] = top * (1 - fy) + bottom * fy
                }
            }
        }
        switch distortion.stroke {
        case .thicker: morph(destination, shape: shape, dilate: true)
        case .thinner: morph(destination, shape: shape, dilate: false)
        case .unchanged: break
        }
        if let valueRange {
            for index in 0..<shape.valueCount {
                destination[index] = min(max(destination[index], valueRange.lowerBound), valueRange.upperBound)
            }
        }
    }

    /// scipy's 2x2 grey morphology in place: dilation takes the maximum of the pixel and its
    /// neighbours below and to the right, erosion the minimum of the pixel and its neighbours
    /// above and to the left (edges reflected, as scipy's default mode does).
    private static func morph(_ image: UnsafeMutablePointer<Float>, shape: ImageShape, dilate: Bool) {
        let copy = [Float](UnsafeBufferPointer(start: image, count: shape.valueCount))
        let channels = shape.channels
        let step = dilate ? 1 : -1
        for y in 0..<shape.height {
            for x in 0..<shape.width {
                for c in 0..<channels {
                    var extreme = copy[(y * shape.width + x) * channels + c]
                    for (dy, dx) in [(step, 0), (0, step), (step, step)] {
                        let row = min(max(y + dy, 0), shape.height - 1), column = min(max(x + dx, 0), shape.width - 1)
                        let value = copy[(row * shape.width + column) * channels + c]
                        extreme = dilate ? max(extreme, value) : min(extreme, value)
                    }
                    image[(y * shape.width + x) * channels + c] = extreme
                }
            }
        }
    }
}
