import ImageCodecs
import ImageProcessing

/// Marks of ink joined into digits. Pieces that can only be one digit are joined outright: a
/// piece inside another's box, or two pieces one above the other with a hairline gap (a pen
/// that skipped). Pieces that may be one digit or two (a 0 with a gap beside a 1, the bar of a
/// 5 above its body, a small digit just under a large one) become one `DigitGroup` with both
/// readings, and the model chooses. Marks shorter than the minimum height are specks unless
/// they pair with a digit.
struct DigitGroup: Equatable {
    /// The component indexes of each part. One part for a single mark; more when the group may
    /// be read as one digit or as several (a pair, and any pieces too small to stand alone).
    var parts: [[Int]]
    /// Whether each part may stand alone as a digit (false for specks and bars under the
    /// minimum height: they only count joined to their neighbour).
    var standalone: [Bool]
    var box: PixelRect
    var mass: Int
    /// Indexes of parts that joined a pair afterwards as a third or fourth piece (a digit
    /// broken in several); the group is also read as the rest joined and each of these apart.
    var extras: [Int] = []

    var members: [Int] { parts.flatMap { $0 } }
}

enum DigitGrouping {
    /// A mark shorter than this share of its neighbour's height may be a piece of its digit.
    static let pieceHeight = 0.4

    /// The digit groups in `components`. `limit` bounds the pieces considered (the largest
    /// are kept), so a picture of specks costs little.
    /// `dropped` counts the marks of digit height left out by the limit.
    static func groups(_ labelled: ConnectedComponents, minimumHeight: Int, limit: Int) -> (groups: [DigitGroup], dropped: Int) {
        let components = labelled.components
        // Single pixels and pairs of pixels are never part of a digit.
        var pieces = components.indices.filter { components[$0].area >= 3 }
        var dropped = 0
        if pieces.count > limit {
            pieces.sort { components[$0].area > components[$1].area }
            dropped = pieces[limit...].filter { components[$0].box.height >= minimumHeight }.count
            pieces.removeLast(pieces.count - limit)
        }
        pieces.sort { components[$0].box.x < components[$1].box.x }

        // 1. Join the pieces that can only be one digit.
        var parent = Array(0..<pieces.count)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }
            return i
        }
        let tallest = pieces.map { components[$0].box.height }.max() ?? 0
        for i in pieces.indices {
            let a = components[pieces[i]]
            for j in (i + 1)..<pieces.count {
                let b = components[pieces[j]]
                if b.box.x > a.box.x + a.box.width + tallest { break }
                if joinsOutright(a, b) || joinsOutright(b, a) {
                    let ra = root(i), rb = root(j)
                    if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
                }
            }
        }
        var marks: [Int: [Int]] = [:]
        for i in pieces.indices { marks[root(i), default: []].append(pieces[i]) }
        var groups = marks.keys.sorted().map { key -> DigitGroup in
            let members = marks[key]!
            return DigitGroup(parts: [members], standalone: [true], box: union(members.map { components[$0].box }),
                              mass: members.reduce(0) { $0 + components[$1].mass })
        }
        for index in groups.indices { groups[index].standalone = [groups[index].box.height >= minimumHeight] }

        // 2. Pair marks that may be one digit or two; each mark joins at most one pair, the
        //    closest first. Specks pair only with a digit, never with each other.
        var pairs: [(gap: Double, a: Int, b: Int)] = []
        groups.sort { $0.box.x < $1.box.x }
        let widest = groups.map { $0.box.width }.max() ?? 0
        for i in groups.indices {
            for j in (i + 1)..<groups.count {
                if groups[j].box.x > groups[i].box.x + groups[i].box.width + widest { break }
                guard groups[i].standalone[0] || groups[j].standalone[0] else { continue }
                let withSpeck = !groups[i].standalone[0] || !groups[j].standalone[0]
                guard var gap = pairingGap(groups[i].box, groups[j].box, withSpeck: withSpeck) else { continue }
                if withSpeck {
                    // A speck goes with the mark its ink is nearest, not the box it overlaps.
                    let speck = groups[i].standalone[0] ? groups[j] : groups[i], other = groups[i].standalone[0] ? groups[i] : groups[j]
                    guard let inkGap = inkGap(speck, other, in: labelled) else { continue }
                    gap = inkGap
                }
                pairs.append((gap, i, j))
            }
        }
        pairs.sort { $0.gap < $1.gap }
        var paired = [Bool](repeating: false, count: groups.count)
        var result: [DigitGroup] = []
        for pair in pairs where !paired[pair.a] && !paired[pair.b] {
            paired[pair.a] = true
            paired[pair.b] = true
            let (first, second) = (groups[pair.a], groups[pair.b])
            result.append(DigitGroup(parts: first.parts + second.parts, standalone: first.standalone + second.standalone,
                                     box: union([first.box, second.box]), mass: first.mass + second.mass))
        }
        // 3. A mark left over joins the nearest group it could belong to: a digit broken in
        //    three or four. A piece too small to be a digit joins any group; a mark that could
        //    be a digit joins only a pair, and only when it is short beside it (`pieceHeight`),
        //    and is also read apart from the rest.
        let pairCount = result.count
        var leftovers: [(gap: Double, mark: Int, at: Int)] = []
        for index in groups.indices where !paired[index] && groups[index].standalone[0] {
            let mark = groups[index]
            var best: (gap: Double, at: Int)?
            for at in 0..<pairCount where Double(mark.box.height) < pieceHeight * Double(result[at].box.height) {
                if pairingGap(result[at].box, mark.box, withSpeck: true) != nil, let gap = inkGap(mark, result[at], in: labelled),
                   gap < (best?.gap ?? .infinity) { best = (gap, at) }
            }
            if let best { leftovers.append((best.gap, index, best.at)) } else { result.append(mark) }
        }
        for leftover in leftovers.sorted(by: { $0.gap < $1.gap }) {
            result[leftover.at].extras.append(result[leftover.at].parts.count)
            attach(groups[leftover.mark], standalone: true, to: &result[leftover.at])
        }
        for index in groups.indices where !paired[index] && !groups[index].standalone[0] {
            let piece = groups[index]
            var best: (gap: Double, at: Int)?
            for (at, group) in result.enumerated() {
                if pairingGap(group.box, piece.box, withSpeck: true) != nil, let gap = inkGap(piece, group, in: labelled),
                   gap < (best?.gap ?? .infinity) { best = (gap, at) }
            }
            guard let chosen = best?.at else { continue }
            attach(piece, standalone: false, to: &result[chosen])
        }
        return (result, dropped)
    }

    static func attach(_ mark: DigitGroup, standalone: Bool, to group: inout DigitGroup) {
        group.parts.append(mark.parts[0])
        group.standalone.append(standalone)
        group.box = union([group.box, mark.box])
        group.mass += mark.mass
    }

    /// `b` belongs to `a` whatever the model says: it lies inside `a`'s box, or sits right above
    /// or below it across a hairline gap with most of its width shared.
    static func joinsOutright(_ a: ConnectedComponents.Component, _ b: ConnectedComponents.Component) -> Bool {
        let margin = max(1, a.box.height / 20)
        if b.area <= a.area, b.box.height * 10 <= a.box.height * 6,
           b.box.x >= a.box.x - margin, b.box.y >= a.box.y - margin,
           b.box.x + b.box.width <= a.box.x + a.box.width + margin,
           b.box.y + b.box.height <= a.box.y + a.box.height + margin {
            return true
        }
        let overlap = overlapLength(a.box.x, a.box.width, b.box.x, b.box.width)
        let gap = gapLength(a.box.y, a.box.height, b.box.y, b.box.height)
        let hairline = max(1.0, 0.1 * Double(min(a.box.height, b.box.height)))
        return Double(overlap) >= 0.6 * Double(min(a.box.width, b.box.width)) && gap >= 0 && Double(gap) <= hairline
    }

    /// How far apart two marks that may form one digit are, relative to the smaller; nil when
    /// they are surely separate digits: further apart (on both axes) than 0.3 of the taller's
    /// height or 0.6 of the smaller's (a piece lies close to the rest of its digit, whatever its
    /// size), together wider than a digit, or together more than 2.3 times as tall as the
    /// taller (two digits one above the other; the halves of a digit broken across are not).
    /// The width does not matter when one mark may be a piece of the other's digit: a speck or
    /// a mark under `pieceHeight` of the other's height (the bar of a 5 beside a body that
    /// touches its neighbour).
    static func pairingGap(_ a: PixelRect, _ b: PixelRect, withSpeck: Bool = false) -> Double? {
        let tall = Double(max(a.height, b.height)), short = Double(max(1, min(a.height, b.height)))
        let joined = union([a, b])
        let gap = Double(max(0, gapLength(a.x, a.width, b.x, b.width), gapLength(a.y, a.height, b.y, b.height)))
        let mayBePiece = withSpeck || short < pieceHeight * tall
        guard gap <= 0.3 * tall, gap <= max(2, 0.6 * short), mayBePiece || Double(joined.width) <= 1.1 * Double(joined.height),
              Double(joined.height) <= 2.3 * tall else { return nil }
        return gap / short
    }

    /// How far a speck's ink lies from a mark's, relative to the speck's height, as
    /// `pairingGap` measures boxes: the paper pixels between their nearest pixels. Nil beyond
    /// `pairingGap`'s reach (0.6 of the speck's height, at least 2 pixels).
    static func inkGap(_ speck: DigitGroup, _ mark: DigitGroup, in marks: ConnectedComponents) -> Double? {
        let short = max(1, speck.box.height)
        let reach = max(2, Int(0.6 * Double(short)))
        let own = LabelSet(speck.members), other = LabelSet(mark.members)
        let width = marks.width, height = marks.height
        var nearest = reach + 1
        for y in speck.box.y..<(speck.box.y + speck.box.height) {
            for x in speck.box.x..<(speck.box.x + speck.box.width) where own.contains(marks.labels[y * width + x]) {
                // Rings of growing radius around the pixel, up to the nearest found so far.
                for y2 in max(0, y - nearest)...min(height - 1, y + nearest) {
                    for x2 in max(0, x - nearest)...min(width - 1, x + nearest) where other.contains(marks.labels[y2 * width + x2]) {
                        nearest = min(nearest, max(abs(x2 - x), abs(y2 - y)) - 1)
                    }
                }
                if nearest == 0 { return 0 }
            }
        }
        return nearest <= reach ? Double(nearest) / Double(short) : nil
    }

    /// Length of the overlap of two intervals (negative: the gap between them).
    static func overlapLength(_ start1: Int, _ length1: Int, _ start2: Int, _ length2: Int) -> Int {
        min(start1 + length1, start2 + length2) - max(start1, start2)
    }

    /// Pixels strictly between two intervals (negative when they overlap).
    static func gapLength(_ start1: Int, _ length1: Int, _ start2: Int, _ length2: Int) -> Int {
        -overlapLength(start1, length1, start2, length2)
    }

    static func union(_ boxes: [PixelRect]) -> PixelRect {
        guard let first = boxes.first else { return PixelRect(x: 0, y: 0, width: 0, height: 0) }
        var minX = first.x, minY = first.y, maxX = first.x + first.width, maxY = first.y + first.height
        for box in boxes.dropFirst() {
            minX = min(minX, box.x); minY = min(minY, box.y)
            maxX = max(maxX, box.x + box.width); maxY = max(maxY, box.y + box.height)
        }
        return PixelRect(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }
}
