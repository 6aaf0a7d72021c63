import ImageCodecs
import ImageProcessing

/// Settings of the digit finder; `model.options` in config.json can change them.
public struct DigitFinderOptions: Sendable, Equatable {
    /// At most this many digits are read in one picture; more candidates than this and the
    /// largest are kept (the response says so). Bounds the work a picture of specks can cause.
    public var maxDigits: Int
    /// Marks smaller than this (in the input's pixels, the taller side) are specks, not digits.
    public var minimumHeight: Int
    /// Pictures whose longer side exceeds this are reduced by area averaging before the search
    /// (boxes are still given in the input's pixels).
    public var workingSide: Int

    public init(maxDigits: Int = 100, minimumHeight: Int = 7, workingSide: Int = 2048) {
        self.maxDigits = maxDigits
        self.minimumHeight = minimumHeight
        self.workingSide = workingSide
    }
}

/// One digit as the model will see it: its box in the input's pixels and its 28x28 field.
public struct DigitRegion: Sendable, Equatable {
    /// [x, y, width, height] of the digit's ink in the input picture.
    public var box: PixelRect
    /// The MNIST field: 784 raw 0-255 values, light digit on black, row by row.
    public var field: [Float]
}

/// A place in the picture holding one digit, or several that touch or lie very close: the ways
/// to read it, each a list of digits left to right. The model's confidence picks one reading
/// (`DigitReader`); a place with one obvious digit has a single reading of one digit.
public struct DigitCandidate: Sendable, Equatable {
    public var readings: [[DigitRegion]]
    /// What each reading is: the place as one digit or cut where digits touch (every piece is
    /// read), or its separate marks apart (specks may be left unread).
    public var kinds: [ReadingKind]

    public init(readings: [[DigitRegion]], kinds: [ReadingKind]? = nil) {
        self.readings = readings
        self.kinds = kinds ?? readings.map { _ in .joined }
    }
}

/// How a reading covers its place's ink (`DigitReader` weighs what it leaves out).
public enum ReadingKind: Sendable, Equatable {
    /// One digit, or one mark cut into touching digits: each piece must be a digit.
    case joined
    /// The place's separate marks, each its own digit, `leftOut` specks unread (the bar of a 5
    /// read apart from its body).
    case apart(leftOut: Int)
}

/// What the finder saw in a picture.
public struct FoundDigits: Sendable, Equatable {
    /// The candidates in reading order: lines top to bottom, each left to right.
    public var candidates: [DigitCandidate]
    /// How many more candidates the picture held beyond `maxDigits` (not read).
    public var omitted: Int
    /// The picture was blank: no contrast to speak of.
    public var blank: Bool

    /// Every field of every reading, in order: one batch for the model.
    public var fields: [Float] {
        // One allocation: this runs for every request, and nested flatMaps make three per level.
        var all: [Float] = []
        all.reserveCapacity(fieldCount * 784)
        appendFields(to: &all)
        return all
    }
    public var fieldCount: Int { candidates.reduce(0) { $0 + $1.readings.reduce(0) { $0 + $1.count } } }

    /// Appends `fields` to `batch` (several uploads' fields in one buffer).
    public func appendFields(to batch: inout [Float]) {
        for candidate in candidates {
            for reading in candidate.readings {
                for region in reading { batch.append(contentsOf: region.field) }
            }
        }
    }
}

/// Finds every digit in a picture of any size: dark on light or light on dark, coloured ink or
/// paper, uneven light. The steps, each in its own file:
/// 1. `InkContrast`: how much darker than the local paper each pixel is (polarity undone first);
/// 2. a threshold from the map's own statistics, then connected components;
/// 3. `DigitGrouping`: pieces of one digit joined (the bar of a 5, a gap in a 0), specks dropped;
/// 4. `TouchingDigits`: readings that cut a wide mark where its width says several digits touch;
/// 5. `ReadingOrder`: lines top to bottom, each left to right;
/// 6. `DigitCrop`: each digit cut out of the ink map and brought to MNIST's form (`MNISTField`).
public struct DigitFinder: Sendable {
    public var options: DigitFinderOptions
    /// Below this spread of gray values (0-255) the picture counts as blank.
    static let minimumContrast = 24

    public init(options: DigitFinderOptions = DigitFinderOptions()) {
        self.options = options
    }

    public func find(in image: Image) -> FoundDigits {
        let page = InkPage(image, workingSide: options.workingSide)
        guard let page else { return FoundDigits(candidates: [], omitted: 0, blank: true) }
        let components = ConnectedComponents(page.ink, above: page.threshold)
        let minimumHeight = max(2, Int((Double(options.minimumHeight) / page.scale).rounded(.up)))
        var (groups, omitted) = DigitGrouping.groups(components, minimumHeight: minimumHeight,
                                                     limit: options.maxDigits * 8)
        if groups.count > options.maxDigits {
            // Keep the marks with the most ink; the rest are reported as omitted.
            groups.sort { $0.mass > $1.mass }
            omitted += groups.count - options.maxDigits
            groups.removeLast(groups.count - options.maxDigits)
        }
        let ordered = ReadingOrder.sorted(groups, box: \.box)
        let crop = DigitCrop(page: page, components: components)
        let candidates = ordered.compactMap { group -> DigitCandidate? in
            var readings: [[DigitRegion]] = [], kinds: [ReadingKind] = []
            for reading in TouchingDigits.readings(of: group, components: components, page: page) {
                let regions = reading.digits.compactMap { crop.region($0) }
                guard regions.count == reading.digits.count,
                      !reading.isCut || TouchingDigits.piecesAlike(regions.map(\.box)) else { continue }
                readings.append(regions)
                kinds.append(reading.leftOut.map { .apart(leftOut: $0) } ?? .joined)
            }
            return readings.isEmpty ? nil : DigitCandidate(readings: readings, kinds: kinds)
        }
        return FoundDigits(candidates: candidates, omitted: omitted, blank: false)
    }
}

/// A picture as the finder works on it: gray, reduced when huge, ink made dark, and the ink
/// map with its threshold.
struct InkPage {
    /// Ink contrast, 0 for paper (working resolution).
    let ink: Image
    /// Pixels of `ink` above this are ink.
    let threshold: UInt8
    /// Working pixels per input pixel (1, or less for a reduced picture).
    let scale: Double
    let inputWidth: Int
    let inputHeight: Int

    /// Nil when the picture is blank.
    init?(_ image: Image, workingSide: Int) {
        inputWidth = image.width
        inputHeight = image.height
        var gray = image.composited(over: (255, 255, 255)).grayscale()
        let longer = max(gray.width, gray.height)
        guard longer > 0 else { return nil }
        if longer > workingSide {
            let factor = Double(workingSide) / Double(longer)
            gray = gray.resizedByAreaAveraging(width: max(1, Int(Double(gray.width) * factor)),
                                               height: max(1, Int(Double(gray.height) * factor)))
        }
        scale = Double(gray.width) / Double(image.width)
        let histogram = gray.histogram()
        let low = histogram.firstIndex { $0 > 0 } ?? 0
        let high = histogram.lastIndex { $0 > 0 } ?? 0
        guard high - low >= DigitFinder.minimumContrast else { return nil }
        // Ink is the minority: when the typical pixel is nearer the light end, ink is dark.
        let median = Histogram.quantile(histogram, 0.5)
        if median < (low + high + 1) / 2 { gray = gray.inverted() }

        let shorter = max(1, min(gray.width, gray.height))
        let cell = max(4, shorter / 40)
        // The closing's square spans about half the shorter side: the strokes (and filled
        // loops) of a digit as tall as the picture are still ink.
        let radius = max(1, Int((Double(shorter) / 4 / Double(cell) - 1) / 2 + 0.5))
        let contrast = InkContrast(darkInkOn: gray, cell: cell, radius: radius)
        ink = contrast.ink
        threshold = InkPage.threshold(ink: contrast.inkHistogram, lighterThanPaper: contrast.lighterThanPaper)
    }

    /// Above the paper's own variation, and near the middle of the strong ink's contrast, so
    /// boxes sit where the ink is half-way between paper and full strength. The paper's
    /// variation is read from the pixels lighter than the paper estimate: ink never is, so
    /// this holds however much of the picture is ink.
    static func threshold(ink: [Int], lighterThanPaper: [Int]) -> UInt8 {
        let grain = Histogram.quantile(lighterThanPaper, 0.99)
        let noise = min(200, grain + 2)
        let strong = Histogram.quantile(ink, 0.9, from: min(255, noise + 1))
        let level = max(noise, DigitFinder.minimumContrast / 2, (strong + 1) / 2)
        return UInt8(min(254, level))
    }
}
