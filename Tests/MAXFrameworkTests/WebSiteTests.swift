import TestSupport
import HTTPServer
import Logging
import MAXFramework
import XCTest

/// The docs page, the demo app and the files they load: served from the binary, nothing
/// fetched from elsewhere, revalidated by ETag, the app off when configured so.
/// (What the pages do in a browser is tested by scripts/browser-tests.sh.)
final class WebSiteTests: XCTestCase {
    let log = LogCapture()

    func makeApplication(webApp: Bool = true) -> MAXApplication {
        MAXApplication(model: AnyModel(ByteStatsModel()),
                       api: APIDescription(title: "Test <API> & co", description: "for tests", version: "9.1"),
                       corsEnabled: false, webApp: webApp, logger: log.logger())
    }

    func get(_ application: MAXApplication, _ path: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        application.handle(HTTPRequest(method: "GET", target: path, path: path, headers: headers))
    }

    func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    func testDocsPageNamesTheAPIAndItsDescription() {
        let response = get(makeApplication(), "/")
        XCTAssertEqual(response.status, .ok)
        XCTAssertEqual(response.headers["Content-Type"], "text/html; charset=utf-8")
        let html = text(response)
        XCTAssertTrue(html.contains("<title>Test &lt;API&gt; &amp; co</title>"), "title escaped")
        XCTAssertTrue(html.contains(#"data-spec="openapi.json""#))
        XCTAssertTrue(html.contains(#"data-app="app""#), "the docs page links the demo app")
        XCTAssertFalse(html.contains("{{"), "every placeholder filled")
    }

    func testEveryFileAPageLoadsIsServed() {
        let application = makeApplication()
        for page in ["/", "/app"] {
            let html = text(get(application, page))
            let references = matches(of: ##"(?:src|href)="([^"#]+)""##, in: html)
            XCTAssertTrue(references.contains("static/common.js"), page)
            for reference in references {
                let path = "/" + (reference.hasPrefix("./") ? String(reference.dropFirst(2)) : reference)
                let response = get(application, path)
                XCTAssertEqual(response.status, .ok, "\(page) loads \(reference)")
                XCTAssertFalse(response.body.isEmpty, reference)
            }
        }
        XCTAssertEqual(get(application, "/static/docs.js").headers["Content-Type"], "text/javascript; charset=utf-8")
        XCTAssertEqual(get(application, "/static/style.css").headers["Content-Type"], "text/css; charset=utf-8")
        XCTAssertEqual(get(application, "/static/nope.js").status, .notFound)
    }

    /// No page or file names another origin: no absolute URL but the SVG namespace, no
    /// protocol-relative `//host`, no CSS `@import`. The CSP header makes the browser enforce it.
    func testNothingIsLoadedFromElsewhere() {
        let application = makeApplication()
        for path in ["/", "/app", "/static/style.css", "/static/common.js", "/static/docs.js", "/static/app.js", "/static/icon.svg"] {
            let body = text(get(application, path))
            let urls = matches(of: #"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*"#, in: body, group: 0)
                .filter { $0 != "http://www.w3.org/2000/svg" }
            XCTAssertEqual(urls, [], "\(path) names another origin")
            XCTAssertFalse(body.contains("@import"), path)
        }
        let policy = get(application, "/").headers["Content-Security-Policy"] ?? ""
        XCTAssertTrue(policy.contains("default-src 'none'"))
        XCTAssertTrue(policy.contains("script-src 'self'"))
        XCTAssertTrue(policy.contains("connect-src 'self'"))
        XCTAssertEqual(get(application, "/app").headers["Content-Security-Policy"], policy)
    }

    func testFilesAreRevalidatedByETag() {
        let application = makeApplication()
        let first = get(application, "/static/app.js")
        let etag = try! XCTUnwrap(first.headers["ETag"])
        XCTAssertEqual(first.headers["Cache-Control"], "no-cache")
        XCTAssertTrue(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count == 34, etag)
        let again = get(application, "/static/app.js", headers: ["If-None-Match": etag])
        XCTAssertEqual(again.status.code, 304)
        XCTAssertTrue(again.body.isEmpty)
        XCTAssertEqual(again.headers["ETag"], etag)
        XCTAssertEqual(get(application, "/static/app.js", headers: ["If-None-Match": "\"other\", W/\(etag)"]).status.code, 304)
        XCTAssertEqual(get(application, "/static/app.js", headers: ["If-None-Match": "*"]).status.code, 304)
        XCTAssertEqual(get(application, "/static/app.js", headers: ["If-None-Match": "\"other\""]).status, .ok)
        XCTAssertNotEqual(get(application, "/static/docs.js").headers["ETag"], etag, "each file has its own tag")
    }

    func testTheAppCanBeTurnedOff() throws {
        let application = makeApplication(webApp: false)
        XCTAssertEqual(get(application, "/app").status, .notFound)
        XCTAssertTrue(text(get(application, "/")).contains(#"data-app="""#), "no link to a missing app")
        XCTAssertEqual(get(application, "/").status, .ok, "the docs page stays")
        let swagger = try JSONValue.parse(get(application, "/swagger.json").body)
        XCTAssertNil(swagger["paths"]?["/app"])
        XCTAssertNotNil(try JSONValue.parse(get(makeApplication(), "/swagger.json").body)["paths"]?["/app"])
    }

    func testPagesAreGETOnly() {
        let response = makeApplication().handle(HTTPRequest(method: "POST", target: "/app", path: "/app"))
        XCTAssertEqual(response.status, .methodNotAllowed)
        XCTAssertEqual(response.headers["Allow"], "GET, HEAD, OPTIONS")
    }

    func matches(of pattern: String, in text: String, group: Int = 1) -> [String] {
        let expression = try! NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: group), in: text).map { String(text[$0]) }
        }
    }
}
