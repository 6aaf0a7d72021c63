import Foundation
import HTTPServer
import WebPages

/// The pages for people, rendered once at start-up: the docs page at `/`, the demo app at
/// `/app` (unless turned off, as MAX's `DISABLE_WEB_APP`) and the scripts and style sheet they
/// load under `/static/`. Nothing is fetched from anywhere else: a Content-Security-Policy
/// holds the browser to this origin.
struct WebSite: Sendable {
    struct Resource: Sendable {
        let contentType: String
        let body: [UInt8]
        /// A strong validator (MD5 of the body), so browsers revalidate with `If-None-Match`.
        let etag: String
    }

    static let docsPath = "/"
    static let appPath = "/app"
    static let staticFolder = "/static/"

    /// Scripts from this origin only; inline scripts, other origins and plugins refused.
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; "
        + "img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'"

    /// Every page and file, as routes: the two pages documented, the files they load not.
    let routes: [Route]

    /// `specPath` is the API description the pages read, relative to `/` (e.g. `swagger.json`).
    init(title: String, specPath: String, webApp: Bool) {
        let appLink = webApp ? String(WebSite.appPath.dropFirst()) : ""
        let values = ["title": WebSite.escapeHTML(title), "spec": WebSite.escapeHTML(specPath), "app": appLink]
        let fill: (WebPages.File) -> Resource = { file in
            WebSite.resource(file.contentType, WebSite.filling(file.bytes, with: values))
        }
        var routes = [WebSite.route(WebSite.docsPath, fill(WebPages.docsPage), doc: WebSite.docsDoc)]
        if webApp {
            routes.append(WebSite.route(WebSite.appPath, fill(WebPages.appPage), doc: WebSite.appDoc))
        }
        for file in WebPages.assets {
            routes.append(WebSite.route(WebSite.staticFolder + file.name, WebSite.resource(file.contentType, file.bytes), doc: nil))
        }
        self.routes = routes
    }

    static let docsDoc = OperationDoc(
        summary: "Interactive API documentation: every route, with a form to try it", operationId: "get_docs", tags: ["docs"],
        responses: [ResponseDoc(200, "The docs page (HTML; it loads nothing from other sites)", contentType: "text/html")])
    static let appDoc = OperationDoc(
        summary: "Demo app: draw a digit or give a picture and see the answer",
        description: "Off with config server.web_app: false or DISABLE_WEB_APP=true.", operationId: "get_web_app", tags: ["docs"],
        responses: [ResponseDoc(200, "The demo app (HTML; it loads nothing from other sites)", contentType: "text/html")])

    private static func resource(_ contentType: String, _ body: [UInt8]) -> Resource {
        Resource(contentType: contentType, body: body, etag: "\"\(MD5.hex(of: body))\"")
    }

    private static func route(_ path: String, _ resource: Resource, doc: OperationDoc?) -> Route {
        Route("GET", path, doc: doc) { request in WebSite.response(resource, to: request.http) }
    }

    /// The answer to a GET or HEAD: the body, or 304 when the browser's copy is current.
    static func response(_ resource: Resource, to request: HTTPRequest) -> HTTPResponse {
        var headers: HTTPHeaders = [
            "Content-Type": resource.contentType,
            "ETag": resource.etag,
            // Revalidate every time: a new binary may carry new pages under the same names.
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        ]
        if resource.contentType.hasPrefix("text/html") {
            headers.set("Content-Security-Policy", WebSite.contentSecurityPolicy)
            headers.set("Referrer-Policy", "no-referrer")
        }
        if let tags = request.headers["If-None-Match"], WebSite.matches(tags, resource.etag) {
            return HTTPResponse(status: HTTPStatus(304, "Not Modified"), headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: resource.body)
    }

    /// `If-None-Match` (RFC 9110 §13.1.2): `*` or a list of entity tags, compared weakly.
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }

    /// The page with every `{{name}}` whose name is in `values` replaced by its value (other
    /// braces left as they are), in one pass over the bytes.
    static func filling(_ page: [UInt8], with values: [String: String]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(page.count + 256)
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var index = 0
        while index < page.count {
            if page[index] == open, index + 1 < page.count, page[index + 1] == open {
                var end = index + 2
                while end + 1 < page.count, page[end] != close, end - index < 64 { end += 1 }
                if end + 1 < page.count, page[end] == close, page[end + 1] == close,
                   let value = values[String(decoding: page[(index + 2)..<end], as: UTF8.self)] {
                    output.append(contentsOf: value.utf8)
                    index = end + 2
                    continue
                }
            }
            output.append(page[index])
            index += 1
        }
        return output
    }

    static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
