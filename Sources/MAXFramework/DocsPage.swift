/// The docs page at `/`: Swagger UI, loaded from a CDN by the browser (as FastAPI does),
/// reading this service's /swagger.json.
enum DocsPage {
    static let swaggerUIVersion = "5.17.14"

    static func html(title: String) -> String {
        let base = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@\(swaggerUIVersion)"
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escapeHTML(title))</title>
        <link rel="stylesheet" href="\(base)/swagger-ui.css">
        </head>
        <body>
        <div id="swagger-ui"></div>
        <noscript>This page needs JavaScript; the API description is at <a href="swagger.json">/swagger.json</a>.</noscript>
        <script src="\(base)/swagger-ui-bundle.js"></script>
        <script>
        window.onload = function () {
          window.ui = SwaggerUIBundle({ url: "swagger.json", dom_id: "#swagger-ui", deepLinking: true });
        };
        </script>
        </body>
        </html>

        """
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
