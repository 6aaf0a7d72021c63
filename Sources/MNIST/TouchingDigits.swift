import ImageCodecs
import ImageProcessing

/// Which ink makes one digit of a reading: some components, optionally only the columns of a
/// cut (working pixels).
struct RegionSpec: Equatable {
    var members: [Int]
    var columns: Range<Int>?
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
/// most about as wide as tall) may be several touching digits: it is also offered cut in two at
/// each of the two columns with least ink in its middle, and cut into 3, 4, ... pieces as its
/// width allows, each cut at the column with least ink near an even split. A pair of marks is
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
        let whole = RegionSpec(members: group.members, columns: nil)
        var readings = [GroupReading(digits: [whole])]
        if group.parts.count > 1 {
            // Apart, a speck may be left out, but not a piece with a real share of the ink.
            let mass = { (part: [Int]) in part.reduce(0) { $0 + components.components[$1].mass } }
            let total = max(1, mass(group.members))
            let droppable = zip(group.parts, group.standalone).allSatisfy { $0.1 || mass($0.0) * 100 < total * 15 }
            let apart = zip(group.parts, group.standalone).filter { $0.1 }.map { RegionSpec(members: $0.0, columns: nil) }
            if !apart.isEmpty && droppable {
                readings.append(GroupReading(digits: apart, leftOut: group.parts.count - apart.count))
            }
            let largest = group.parts.max { mass($0) < mass($1) } ?? []
            let largestBox = DigitGrouping.union(largest.map { components.components[$0].box })
            guard Double(largestBox.width) / Double(max(1, largestBox.height)) > wideAspect else { return readings }
        }
        let box = group.box
        let aspect = Double(box.width) / Double(max(1, box.height))
        guard aspect > wideAspect else { return readings }
        let profile = columnInk(of: group.members, in: box, components: components, page: page)
        let cut = { (columns: [Range<Int>]) in
            GroupReading(digits: columns.map { RegionSpec(members: group.members, columns: $0) }, isCut: true)
        }
        // Two digits: the two columns with least ink in the middle 60 %, each a reading (one
        // digit may be much narrower than the other, as a 1 beside a 0).
        for at in leastInk(profile, in: Int(0.2 * Double(box.width))...Int(0.8 * Double(box.width)), count: 2) {
            readings.append(cut([box.x..<(box.x + at), (box.x + at)..<(box.x + box.width)]))
        }
        // More: one cut near each even split.
        let most = min(maximumPieces, Int((aspect + 0.3) / 0.6))
        if most >= 3 {
            for pieces in 3...most {
                var cuts: [Int] = [0]
                let step = Double(box.width) / Double(pieces)
                for k in 1..<pieces {
                    let target = Int(Double(k) * step), reach = max(1, Int(0.35 * step))
                    let low = max(target - reach, cuts.last! + 1), high = min(target + reach, box.width - 1)
                    guard low <= high, let at = leastInk(profile, in: low...high, count: 1).first else { break }
                    cuts.append(at)
                }
                guard cuts.count == pieces else { continue }
                cuts.append(box.width)
                readings.append(cut((0..<pieces).map { (box.x + cuts[$0])..<(box.x + cuts[$0 + 1]) }))
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
    /// ink first (ties: nearest the range's middle).
    static func leastInk(_ profile: [Int], in range: ClosedRange<Int>, count: Int) -> [Int] {
        let range = max(1, range.lowerBound)...min(profile.count - 1, max(range.lowerBound, range.upperBound))
        guard range.lowerBound <= range.upperBound else { return [] }
        let middle = Double(range.lowerBound + range.upperBound) / 2
        var minima = range.filter { column in
            (column == range.lowerBound || profile[column] <= profile[column - 1])
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

    /// The ink of the group's own pixels in each column of its box.
    static func columnInk(of members: [Int], in box: PixelRect, components: ConnectedComponents, page: InkPage) -> [Int] {
        var profile = [Int](repeating: 0, count: box.width)
        let own = LabelSet(members)
        let width = components.width
        for y in box.y..<(box.y + box.height) {
            for x in box.x..<(box.x + box.width) where own.contains(components.labels[y * width + x]) {
                profile[x - box.x] += Int(page.ink.samples[y * width + x])
            }
        }
        return profile
    }
}
