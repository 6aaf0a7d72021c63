/// Where a cut between two touching digits runs: a path from the top of a mark's box to its
/// bottom, one column per row, moving at most one column from row to row. Ink left of the path
/// goes to the left piece. Unlike a straight column, the path can pass around the tail of a 2
/// reaching under its neighbour, or cross a slanted join where it is thinnest.
struct Seam: Equatable {
    /// The box's first row (working pixels).
    var top: Int
    /// For each row of the box from `top`, the first column of the right piece.
    var columns: [Int]

    /// A straight cut: the column `column` in each of `rows` rows from `top`.
    init(top: Int, rows: Int, column: Int) {
        self.init(top: top, columns: [Int](repeating: column, count: rows))
    }

    init(top: Int, columns: [Int]) {
        self.top = top
        self.columns = columns
    }

    @inline(__always) func column(atRow y: Int) -> Int {
        columns[max(0, min(columns.count - 1, y - top))]
    }

    /// The cheapest path through a mark's ink (`cost`, row by row, `width` columns) that stays
    /// within `band` (columns of `cost`, `band.lowerBound >= 1`). A pixel costs its ink; a step
    /// sideways costs `stepCost` more, so through paper the path stays straight. Ties go to the
    /// path nearest `preferred` at the bottom row.
    static func cheapest(cost: [Int32], width: Int, band: ClosedRange<Int>, preferred: Int, stepCost: Int32) -> [Int] {
        let rows = cost.count / max(1, width)
        let low = max(0, band.lowerBound), high = min(width - 1, band.upperBound)
        guard rows > 0, low <= high else { return [Int](repeating: min(max(preferred, 0), width), count: rows) }
        let span = high - low + 1
        // total[row * span + i]: the least cost of a path from the top to column low + i of the row;
        // from[...]: the step (-1, 0, +1) it came by.
        var total = [Int32](repeating: 0, count: rows * span)
        var from = [Int8](repeating: 0, count: rows * span)
        for i in 0..<span { total[i] = cost[low + i] }
        for row in 1..<rows {
            let above = (row - 1) * span, here = row * span
            for i in 0..<span {
                var best = total[above + i], step: Int8 = 0
                if i > 0, total[above + i - 1] + stepCost < best { best = total[above + i - 1] + stepCost; step = -1 }
                if i + 1 < span, total[above + i + 1] + stepCost < best { best = total[above + i + 1] + stepCost; step = 1 }
                total[here + i] = best + cost[row * width + low + i]
                from[here + i] = step
            }
        }
        let last = (rows - 1) * span
        var end = 0
        for i in 1..<span {
            let better = total[last + i] < total[last + end]
            let tie = total[last + i] == total[last + end] && abs(low + i - preferred) < abs(low + end - preferred)
            if better || tie { end = i }
        }
        var path = [Int](repeating: 0, count: rows)
        var i = end
        for row in stride(from: rows - 1, through: 0, by: -1) {
            path[row] = low + i
            i += Int(from[row * span + i])
        }
        return path
    }

    /// How many separate strokes a path (columns of `cost`, one per row) crosses: runs of rows
    /// where it runs through ink. Two digits touching at one join cost one; a cut through a
    /// single digit (across the top and the bottom of a 0) two or more.
    static func strokesCrossed(_ path: [Int], cost: [Int32], width: Int) -> Int {
        var strokes = 0, inInk = false
        for (row, column) in path.enumerated() {
            let ink = cost[row * width + column] > 0
            if ink && !inInk { strokes += 1 }
            inInk = ink
        }
        return strokes
    }
}
