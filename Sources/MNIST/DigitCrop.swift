import ImageCodecs
import ImageProcessing

/// Cuts one digit out of the ink map and brings it to MNIST's form. Only the digit's own ink is
/// kept: pixels of other marks inside its box, and the faint fringe around them, are cleared,
/// so a neighbour reaching into the box does not reach the model. Levels are stretched so the
/// threshold's half is black and the digit's strong ink white, as MNIST's scans are.
struct DigitCrop {
    let page: InkPage
    let labels: [Int32]
    let boxes: [PixelRect]

    init(page: InkPage, components: ConnectedComponents) {
        self.page = page
        self.labels = components.labels
        self.boxes = components.components.map(\.box)
    }

    func region(_ spec: RegionSpec) -> DigitRegion? {
        let width = page.ink.width, height = page.ink.height
        let own = LabelSet(spec.members)
        guard let box = box(of: own, spec: spec) else { return nil }
        var values = [UInt8](repeating: 0, count: box.width * box.height)
        var strong = [Int](repeating: 0, count: 256)
        let ink = page.ink.samples, threshold = page.threshold
        let isCut = spec.isCut
        // Only a box that holds another mark (or ink a cut gives the neighbour) needs its
        // fringe checked pixel by pixel.
        let crowded = isCut || holdsOther(own, in: box, width: width)
        for y in box.y..<(box.y + box.height) {
            for x in box.x..<(box.x + box.width) {
                let label = labels[y * width + x]
                let value = ink[y * width + x]
                let keep: Bool
                if isCut && !spec.keeps(x, y) {
                    keep = false
                } else if label == 0 {
                    // Fringe at or below half the threshold becomes black below, kept or not:
                    // only the rest is worth checking for a neighbour.
                    keep = Int(value) * 2 > Int(threshold)
                        && (!crowded || !touchesOther(x, y, own: own, spec: spec, width: width, height: height))
                } else {
                    keep = own.contains(label)
                }
                guard keep else { continue }
                values[(y - box.y) * box.width + (x - box.x)] = value
                if value > threshold, label != 0 { strong[Int(value)] += 1 }
            }
        }
        guard strong.contains(where: { $0 > 0 }) else { return nil }
        let white = Double(Histogram.quantile(strong, 0.9))
        let black = Double(threshold) / 2
        if white > black {
            let scale = 255 / (white - black)
            for index in values.indices {
                let level = (Double(values[index]) - black) * scale
                values[index] = UInt8(max(0, min(255, level.rounded())))
            }
        }
        guard let digit = Image(width: box.width, height: box.height, layout: .gray, samples: values),
              let field = MNISTField.fitted(digit) else { return nil }
        return DigitRegion(box: inputBox(box), field: field.floatSamples())
    }

    /// The smallest box around the given components' pixels that the spec's cuts leave them.
    func box(of own: LabelSet, spec: RegionSpec) -> PixelRect? {
        let width = page.ink.width
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        // Scan only where these components can be: the union of their boxes.
        let spread = DigitGrouping.union(own.labels.map { boxes[Int($0) - 1] })
        let columns = spec.columns(within: spread.x..<(spread.x + spread.width))
        guard !columns.isEmpty else { return nil }
        let isCut = spec.isCut
        for y in spread.y..<(spread.y + spread.height) {
            for x in columns where own.contains(labels[y * width + x]) && (!isCut || spec.keeps(x, y)) {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        return PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
    }

    /// True when the box, grown by a pixel, holds a pixel of another mark.
    func holdsOther(_ own: LabelSet, in box: PixelRect, width: Int) -> Bool {
        let height = labels.count / max(1, width)
        for y in max(0, box.y - 1)..<min(height, box.y + box.height + 1) {
            for x in max(0, box.x - 1)..<min(width, box.x + box.width + 1) {
                let label = labels[y * width + x]
                if label != 0 && !own.contains(label) { return true }
            }
        }
        return false
    }

    /// True when a background pixel borders ink that is not this digit's: another mark's, or
    /// its own components' beyond a cut.
    func touchesOther(_ x: Int, _ y: Int, own: LabelSet, spec: RegionSpec, width: Int, height: Int) -> Bool {
        for dy in -1...1 where y + dy >= 0 && y + dy < height {
            for dx in -1...1 where x + dx >= 0 && x + dx < width {
                let label = labels[(y + dy) * width + x + dx]
                if label != 0 && !(own.contains(label) && spec.keeps(x + dx, y + dy)) { return true }
            }
        }
        return false
    }

    /// A working-resolution box in the input's pixels.
    func inputBox(_ box: PixelRect) -> PixelRect {
        guard page.scale < 1 else { return box }
        let x0 = Int((Double(box.x) / page.scale).rounded(.down))
        let y0 = Int((Double(box.y) / page.scale).rounded(.down))
        let x1 = min(page.inputWidth, Int((Double(box.x + box.width) / page.scale).rounded(.up)))
        let y1 = min(page.inputHeight, Int((Double(box.y + box.height) / page.scale).rounded(.up)))
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0)
    }
}

/// The labels of one digit's components: a handful, so a linear search beats hashing.
struct LabelSet {
    let labels: [Int32]

    /// From component indexes (labels are indexes plus one).
    init(_ members: [Int]) { labels = members.map { Int32($0 + 1) } }

    @inline(__always) func contains(_ label: Int32) -> Bool {
        for own in labels where own == label { return true }
        return false
    }
}
