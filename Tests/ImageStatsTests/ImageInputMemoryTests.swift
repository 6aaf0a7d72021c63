import ImageCodecs
import ImageInput
import MAXFramework
import XCTest

/// What a client sees when a decode does not fit the memory budget (issue 13 finding 2):
/// 413 when it never could, 503 with Retry-After while other decodes hold the memory.
final class ImageInputMemoryTests: XCTestCase {
    /// An 8-bit gray PNG of `side` x `side`, one shade.
    private func grayPNG(side: Int) -> [UInt8] {
        let image = Image(width: side, height: side, layout: .gray, fill: 128)
        return PNGEncoder.encode(image)
    }

    func testADecodeThatNeverFitsIs413AndOneThatMustWaitIs503() throws {
        let budget = DecodingBudget(capacity: 1_000_000, wait: 0.2)
        let input = ModelInput(bytes: grayPNG(side: 1200), fileName: "big.png")  // 1.44 MB of samples
        XCTAssertThrowsError(try ImageInput.decode(input, limits: DecodingLimits(budget: budget))) { error in
            XCTAssertEqual((error as? ModelError)?.status.code, 413, "\(error)")
        }
        let held = try budget.reserve(900_000)
        defer { held.release() }
        let small = ModelInput(bytes: grayPNG(side: 400), fileName: "small.png")  // 160 KB: fits once the budget is free
        XCTAssertThrowsError(try ImageInput.decode(small, limits: DecodingLimits(budget: budget))) { error in
            let modelError = error as? ModelError
            XCTAssertEqual(modelError?.status.code, 503, "\(error)")
            XCTAssertEqual(modelError?.headers["Retry-After"], "1")
        }
        held.release()
        XCTAssertEqual(try ImageInput.decode(small, limits: DecodingLimits(budget: budget)).width, 400)
    }
}
