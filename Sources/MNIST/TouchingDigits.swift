import ImageCodecs
import ImageProcessing

/// Which ink makes one digit of a reading: some components, optionally only their pixels
/// between two cuts (working pixels): on or right of `after`, left of `before`.
struct RegionSpec: Equatable {
    var members: [Int]
    var after: Seam?
    var before: Seam?

    init(members: [Int], after: Seam? = nil, before: Seam? = nil) {
        self.members = members
        self.after = after
        self.before = before
    }

    var isCut: Bool { after != nil || before != nil }

    /// Whether the cuts leave the pixel at (x, y) to this digit (rows beyond the cuts' take
    /// the nearest row's column).
    @inline(__always) func keeps(_ x: Int, _ y: Int) -> Bool {
        if let after, x < after.column(atRow: y) { return false }
        if let before, x >= before.column(atRow: y) { return false }
        return true
    }

    /// The columns the cuts can leave to this digit, within `columns`.
    func columns(within columns: Range<Int>) -> Range<Int> {
        let left = max(columns.lowerBound, after?.columns.min() ?? columns.lowerBound)
        let right = min(columns.upperBound, before?.columns.max() ?? columns.upperBound)
        return left..<max(left, right)
    }
}

/// One way to read a digit group: its digits left to right.
struct GroupReading: Equatable {
    var digits: [RegionSpec]
    /// For the group's marks read apart: how many pieces this leaves out (specks); nil when
    /// the reading covers all of the group's ink.
    var leftOut: Int?
    /// The digits are column cuts of touching marks (their heights are then compared).
    var isCut = false
}

/// The readings of a digit group. A mark wider than a digit usually is (MNIST digits are at
/// most about as wide as tall) may be several touching digits: it is also offered cut in two
/// near each of the two columns with least ink in its middle, and cut into 3, 4, ... pieces as
/// its width allows, each near the column with least ink by an even split. Each cut is a
/// `Seam`: the path through the least ink from the mark's top to its bottom, within a band
/// about that column, so it can cross a slanted join or pass around a tail. A pair of marks is
/// offered joined and apart (apart, a speck is left out; a piece too small to be a digit but
/// with 15 % or more of the ink is not, so that pair is only offered joined); when its largest
/// mark is itself wide, the pair is offered cut as well (two touching digits, one of them broken).
enum TouchingDigits {
    /// Widths (relative to height) above this are offered cut.
    static let wideAspect = 0.9
    static let maximumPieces = 5
    /// Digits touching on one line are of about one size: a cut whose pieces' heights differ
    /// more than this (shorter / taller) cut a digit, not between two.
    static let alikeHeights = 0.7

    static func readings(of group: DigitGroup, components: ConnectedComponents, page: InkPage) -> [GroupReading] {
        let whole = RegionSpec(members: group.members)
        var readings = [GroupReading(digits: [whole])]
        if group.parts.count > 1 {
            // Apart, a speck may be left out, but not a piece with a real share of the ink.
            let mass = { (part: [Int]) in part.reduce(0) { $0 + components.components[$1].mass } }
            let total = max(1, mass(group.members))
            let droppable = zip(group.parts, group.standalone).allSatisfy { $0.1 || mass($0.0) * 100 < total * 15 }
            let apart = zip(group.parts, group.standalone).filter { $0.1 }.map { RegionSpec(members: $0.0) }
            if !apart.isEmpty && droppable {
                readings.append(GroupReading(digits: apart, leftOut: group.parts.count - apart.count))
            }
            if !group.extras.isEmpty {
                // The pair joined, the marks that joined it later each apart.
                let core = group.parts.indices.filter { !group.extras.contains($0) }.flatMap { group.parts[$0] }
                readings.append(GroupReading(digits: [RegionSpec(members: core)] + group.extras.map { RegionSpec(members: group.parts[$0]) },
                                             leftOut: 0))
            }
            let largest = group.parts.max { mass($0) < mass($1) } ?? []
            let largestBox = DigitGrouping.union(largest.map { components.components[$0].box })
            guard Double(largestBox.width) / Double(max(1, largestBox.height)) > wideAspect else { return readings }
        }
        let box = group.box
        let aspect = Double(box.width) / Double(max(1, box.height))
        guard aspect > wideAspect else { return readings }
        let ink = inkGrid(of: group.members, in: box, components: components, page: page)
        let profile = columnSums(ink, width: box.width)
        // A seam may wander this far either side of its column: a slanted join or a tail.
        let reach = max(2, box.height / 5)
        // A seam that crosses more than one stroke would carve one digit into two (a 0 into
        // a 7 and a 1): there the straight column is offered, as the model rejects its pieces.
        let seam = { (column: Int, band: ClosedRange<Int>) -> Seam in
            let path = Seam.cheapest(cost: ink, width: box.width, band: band, preferred: column, stepCost: stepCost)
            guard Seam.strokesCrossed(path, cost: ink, width: box.width) <= 1 else {
                return Seam(top: box.y, rows: box.height, column: box.x + column)
            }
            return Seam(top: box.y, columns: path.map { $0 + box.x })
        }
        let cut = { (seams: [Seam]) -> GroupReading in
            let bounds: [Seam?] = [nil] + seams.map { $0 } + [nil]
            return GroupReading(digits: (0...seams.count).map {
                RegionSpec(members: group.members, after: bounds[$0], before: bounds[$0 + 1])
            }, isCut: true)
        }
        // Two digits: near the two columns with least ink in the middle 60 %, each a reading
        // (one digit may be much narrower than the other, as a 1 beside a 0).
        var twoWays: [Seam] = []
        for at in leastInk(profile, in: Int(0.2 * Double(box.width))...Int(0.8 * Double(box.width)), count: 2) {
            let path = seam(at, max(1, at - reach)...min(box.width - 1, at + reach))
            guard !twoWays.contains(path) else { continue }
            twoWays.append(path)
            readings.append(cut([path]))
        }
        // More: one cut near each even split.
        let most = min(maximumPieces, Int((aspect + 0.3) / 0.6))
        if most >= 3 {
            for pieces in 3...most {
                var seams: [Seam] = []
                var last = 0
                let step = Double(box.width) / Double(pieces)
                for k in 1..<pieces {
                    let target = Int(Double(k) * step), near = max(1, Int(0.35 * step))
                    let low = max(target - near, last + 1), high = min(target + near, box.width - 1)
                    guard low <= high, let at = leastInk(profile, in: low...high, count: 1).first else { break }
                    let path = seam(at, low...high)
                    seams.append(path)
                    last = (path.columns.max() ?? box.x) - box.x
                }
                guard seams.count == pieces - 1 else { continue }
                readings.append(cut(seams))
            }
        }
        return readings
    }

    /// Whether the boxes of a cut's pieces are of one size (see `alikeHeights`).
    static func piecesAlike(_ boxes: [PixelRect]) -> Bool {
        guard let tallest = boxes.map(\.height).max(), let shortest = boxes.map(\.height).min() else { return true }
        return Double(shortest) >= alikeHeights * Double(tallest)
    }

    /// Up to `count` columns within `range` where the ink profile has a local minimum, least
    /// ink first (ties: nearest the range's middle). Columns without ink are passed over: they
    /// lie between a group's marks, which its reading apart already separates.
    static func leastInk(_ profile: [Int], in range: ClosedRange<Int>, count: Int) -> [Int] {
        let range = max(1, range.lowerBound)...min(profile.count - 1, max(range.lowerBound, range.upperBound))
        guard range.lowerBound <= range.upperBound else { return [] }
        let middle = Double(range.lowerBound + range.upperBound) / 2
        var minima = range.filter { column in
            profile[column] > 0 && (column == range.lowerBound || profile[column] <= profile[column - 1])
                && (column == range.upperBound || profile[column] <= profile[column + 1])
        }
        minima.sort { profile[$0] != profile[$1] ? profile[$0] < profile[$1] : abs(Double($0) - middle) < abs(Double($1) - middle) }
        // Distinct valleys: skip a column right next to one already taken.
        var chosen: [Int] = []
        for column in minima where !chosen.contains(where: { abs($0 - column) <= 2 }) {
            chosen.append(column)
            if chosen.count == count { break }
        }
        return chosen
    }

    /// What a seam pays to step one column sideways (ink is 0-255 a pixel): through paper it
    /// runs straight, through ink it takes the thinnest way.
    static let stepCost: Int32 = 16

    /// The ink of the group's own pixels in its box, row by row (0 for paper and other marks).
    static func inkGrid(of members: [Int], in box: PixelRect, components: ConnectedComponents, page: InkPage) -> [Int32] {
        var grid = [Int32](repeating: 0, count: box.width * box.height)
        let own = LabelSet(members)
        let width = components.width
        for y in box.y..<(box.y + box.height) {
            for x in box.x..<(box.x + box.width) where own.contains(components.labels[y * width + x]) {
                grid[(y - box.y) * box.width + x - box.x] = Int32(page.ink.samples[y * width + x])
            }
        }
        return grid
    }

    /// The ink in each column of a grid `width` wide.
    static func columnSums(_ grid: [Int32], width: Int) -> [Int] {
        var sums = [Int](repeating: 0, count: width)
        for (index, value) in grid.enumerated() { sums[index % width] += Int(value) }
        return sums
    }
}
