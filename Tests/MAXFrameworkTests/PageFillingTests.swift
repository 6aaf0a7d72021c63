import XCTest
@testable import MAXFramework

/// The docs page and the app are filled in once at start-up: `{{name}}` placeholders replaced in
/// one pass, so a value that itself looks like a placeholder stays as it is.
final class PageFillingTests: XCTestCase {
    func testPlaceholdersAreReplacedInOnePass() {
        let page = Array("<t>{{title}}</t>{{spec}}|{{unknown}}|{{app}}{ {x}} {{".utf8)
        let filled = WebSite.filling(page, with: ["title": "A {{spec}} é", "spec": "swagger.json", "app": ""])
        XCTAssertEqual(String(decoding: filled, as: UTF8.self), "<t>A {{spec}} é</t>swagger.json|{{unknown}}|{ {x}} {{")
    }
}
