import ImageCodecs
import ImageProcessing
import TestSupport
import XCTest

/// Components against a flood fill, and the shapes that trip run-based labelling up: U shapes
/// whose arms join below, diagonal contacts, runs touching at the row ends.
final class ConnectedComponentsTests: XCTestCase {
    func mask(_ rows: [String]) throws -> Image {
        let width = rows[0].count
        return try XCTUnwrap(Image(width: width, height: rows.count, layout: .gray,
                                   samples: rows.flatMap { $0.map { $0 == "#" ? UInt8(200) : 0 } }))
    }

    func testShapesJoinAsEightConnectedRegions() throws {
        let image = try mask([
            "#.#..#",
            "#.#...",
            "###.#.",
            "....#.",
            "##...#",
        ])
        let found = ConnectedComponents(image, above: 100)
        // The U, the lone pixel top right, the diagonal pair, the bar bottom left.
        XCTAssertEqual(found.components.count, 4)
        let boxes = Set(found.components.map { "\($0.box)" })
        XCTAssertEqual(boxes, ["3x3+0+0", "1x1+5+0", "2x3+4+2", "2x1+0+4"])
        let u = try XCTUnwrap(found.components.first { $0.box.width == 3 })
        XCTAssertEqual(u.area, 7)
        XCTAssertEqual(u.mass, 7 * 200)
        // Labels agree with the components they name.
        for (index, component) in found.components.enumerated() {
            let count = found.labels.filter { $0 == Int32(index + 1) }.count
            XCTAssertEqual(count, component.area)
        }
        XCTAssertEqual(found.labels.filter { $0 == 0 }.count, 30 - 7 - 1 - 3 - 2)
    }

    func testAgreesWithAFloodFillOnRandomMasks() throws {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<20 {
            let width = 1 + Int(generator.next() % 40), height = 1 + Int(generator.next() % 30)
            let density = generator.next() % 60
            let samples = (0..<(width * height)).map { _ in generator.next() % 100 < density ? UInt8(255) : 0 }
            let image = try XCTUnwrap(Image(width: width, height: height, layout: .gray, samples: samples))
            let found = ConnectedComponents(image, above: 0)
            // Flood fill: same partition of the pixels.
            var seen = [Int](repeating: -1, count: samples.count)
            var regions = 0
            for start in samples.indices where samples[start] > 0 && seen[start] < 0 {
                var stack = [start]
                seen[start] = regions
                while let pixel = stack.popLast() {
                    let x = pixel % width, y = pixel / width
                    for dy in -1...1 { for dx in -1...1 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        let next = ny * width + nx
                        if samples[next] > 0 && seen[next] < 0 { seen[next] = regions; stack.append(next) }
                    } }
                }
                regions += 1
            }
            XCTAssertEqual(found.components.count, regions)
            // Two pixels share a label exactly when the flood fill put them together.
            var mapping: [Int32: Int] = [:]
            for pixel in samples.indices where samples[pixel] > 0 {
                let label = found.labels[pixel]
                XCTAssertNotEqual(label, 0)
                if let region = mapping[label] { XCTAssertEqual(region, seen[pixel]) } else { mapping[label] = seen[pixel] }
            }
            XCTAssertEqual(Set(mapping.values).count, regions)
        }
    }

    func testEmptyAndFullImages() throws {
        XCTAssertEqual(ConnectedComponents(Image(width: 5, height: 4, layout: .gray, fill: 0), above: 0).components.count, 0)
        let full = ConnectedComponents(Image(width: 5, height: 4, layout: .gray, fill: 9), above: 0)
        XCTAssertEqual(full.components.map(\.area), [20])
        XCTAssertEqual(ConnectedComponents(Image(width: 0, height: 0, layout: .gray), above: 0).components.count, 0)
    }
}
