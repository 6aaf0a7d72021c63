import ImageCodecs

/// Reading order: lines top to bottom, each left to right. Marks are taken by their vertical
/// centre, top first; a mark joins the current line when its centre lies within the line's
/// vertical extent so far (or the line's centre within its own), so digits of different sizes
/// on one line stay together while the next line starts below.
enum ReadingOrder {
    static func sorted<Item>(_ items: [Item], box: (Item) -> PixelRect) -> [Item] {
        if items.count < 2 { return items }  // the common single digit: nothing to order, no copies
        let entries = items.enumerated().map { (index: $0.offset, box: box($0.element)) }
            .sorted { centreY($0.box) != centreY($1.box) ? centreY($0.box) < centreY($1.box) : $0.box.x < $1.box.x }
        var lines: [(top: Int, bottom: Int, members: [(index: Int, box: PixelRect)])] = []
        for entry in entries {
            let centre = centreY(entry.box)
            if var line = lines.last {
                let lineCentre = Double(line.top + line.bottom) / 2
                let inLine = (centre >= Double(line.top) && centre <= Double(line.bottom))
                    || (lineCentre >= Double(entry.box.y) && lineCentre <= Double(entry.box.y + entry.box.height))
                if inLine {
                    line.top = min(line.top, entry.box.y)
                    line.bottom = max(line.bottom, entry.box.y + entry.box.height)
                    line.members.append(entry)
                    lines[lines.count - 1] = line
                    continue
                }
            }
            lines.append((entry.box.y, entry.box.y + entry.box.height, [entry]))
        }
        return lines.flatMap { line in line.members.sorted { $0.box.x < $1.box.x }.map { items[$0.index] } }
    }

    static func centreY(_ box: PixelRect) -> Double { Double(box.y) + Double(box.height) / 2 }
}
