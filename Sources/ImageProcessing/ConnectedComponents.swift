import ImageCodecs

/// The 8-connected regions of a mask (pixels above a threshold), each with its bounding box,
/// area and mass, and a label per pixel. Found run by run: each row's runs are joined to the
/// runs they touch in the row above (union-find), so the cost follows the number of runs.
public struct ConnectedComponents: Sendable {
    public struct Component: Equatable, Sendable {
        /// The smallest rectangle holding the component.
        public var box: PixelRect
        /// Its number of pixels.
        public var area: Int
        /// The sum of its pixels' values (e.g. ink contrast).
        public var mass: Int
    }

    public let width: Int
    public let height: Int
    /// One label per pixel, row by row: 0 for background, else the index in `components` plus one.
    public let labels: [Int32]
    public let components: [Component]

    /// The components of `image` (gray) where the value is above `threshold`.
    public init(_ image: Image, above threshold: UInt8) {
        precondition(image.layout == .gray, "ConnectedComponents works on gray images")
        let width = image.width, height = image.height
        self.width = width
        self.height = height
        var runs: [Run] = []
        var parents: [Int32] = []
        var previousRow = 0..<0
        let limit = SIMD16<UInt8>(repeating: threshold)
        image.samples.withUnsafeBufferPointer { pixels in
            for y in 0..<height {
                let rowStart = runs.count
                var x = 0
                let base = y * width
                while x < width {
                    // Background is most of a page: skip it sixteen pixels at a time.
                    while x + 16 <= width,
                          !any(UnsafeRawPointer(pixels.baseAddress! + base + x).loadUnaligned(as: SIMD16<UInt8>.self) .> limit) {
                        x += 16
                    }
                    guard x < width else { break }
                    guard pixels[base + x] > threshold else { x += 1; continue }
                    let start = x
                    var mass = 0
                    while x < width, pixels[base + x] > threshold { mass += Int(pixels[base + x]); x += 1 }
                    let index = Int32(runs.count)
                    runs.append(Run(y: y, start: start, end: x - 1, mass: mass))
                    parents.append(index)
                }
                // Join each new run to the runs of the row above it touches (diagonals count).
                var above = previousRow.lowerBound
                for current in rowStart..<runs.count {
                    while above < previousRow.upperBound, runs[above].end + 1 < runs[current].start { above += 1 }
                    var candidate = above
                    while candidate < previousRow.upperBound, runs[candidate].start <= runs[current].end + 1 {
                        Self.union(Int32(current), Int32(candidate), &parents)
                        candidate += 1
                    }
                }
                previousRow = rowStart..<runs.count
            }
        }
        // Compact labels in order of first appearance, then statistics and the label image.
        var labelOfRoot = [Int32](repeating: 0, count: runs.count)
        var components: [Component] = []
        var labels = [Int32](repeating: 0, count: width * height)
        for index in runs.indices {
            let root = Int(Self.find(Int32(index), &parents))
            if labelOfRoot[root] == 0 {
                components.append(Component(box: PixelRect(x: runs[index].start, y: runs[index].y, width: 0, height: 0),
                                            area: 0, mass: 0))
                labelOfRoot[root] = Int32(components.count)
            }
            let label = labelOfRoot[root]
            let run = runs[index]
            var component = components[Int(label) - 1]
            let minX = Swift.min(component.box.x, run.start), maxX = Swift.max(component.box.x + component.box.width - 1, run.end)
            let minY = Swift.min(component.box.y, run.y), maxY = Swift.max(component.box.y + component.box.height - 1, run.y)
            component.box = PixelRect(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1)
            component.area += run.end - run.start + 1
            component.mass += run.mass
            components[Int(label) - 1] = component
            let base = run.y * width
            for x in run.start...run.end { labels[base + x] = label }
        }
        self.labels = labels
        self.components = components
    }

    private struct Run { let y: Int, start: Int, end: Int, mass: Int }

    private static func find(_ node: Int32, _ parents: inout [Int32]) -> Int32 {
        var root = node
        while parents[Int(root)] != root { root = parents[Int(root)] }
        var walker = node
        while parents[Int(walker)] != root {
            let next = parents[Int(walker)]
            parents[Int(walker)] = root
            walker = next
        }
        return root
    }

    private static func union(_ a: Int32, _ b: Int32, _ parents: inout [Int32]) {
        let rootA = find(a, &parents), rootB = find(b, &parents)
        if rootA != rootB { parents[Int(Swift.max(rootA, rootB))] = Swift.min(rootA, rootB) }
    }
}
